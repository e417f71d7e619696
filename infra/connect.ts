// What the stack prints for people who connect (design §1): both Inspector forms for the deployed URL. The key
// is never part of an output; `<key>` stands for it and `apiKeyCommand` says how to read it.
import * as pulumi from '@pulumi/pulumi'

const INSPECTOR = 'npx @modelcontextprotocol/inspector@2.12.0'
export const KEY_PLACEHOLDER = '<key>'

export function inspectorCli(url: string): string {
  return `${INSPECTOR} --cli ${url}/sse --transport sse --header "Authorization: Bearer ${KEY_PLACEHOLDER}"`
}

export function inspectorUi(url: string): string {
  return `${INSPECTOR} --transport sse --server-url ${url}/sse --header "Authorization: Bearer ${KEY_PLACEHOLDER}"`
}

/** Prints the secret part of the first `name:secret` entry of the keys secret. */
export function readKeyCommand(secretArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`aws secretsmanager get-secret-value --secret-id ${secretArn} --query SecretString --output text | cut -d, -f1 | cut -d: -f2-`
}
