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

/**
 * Prints the secret of the first plain `name:secret` entry of MCP_API_KEYS. After a rotation to hashed entries
 * (`name:sha256:<hex>`) the secret holds no key to print: it says so on stderr and exits 1 rather than print a hash.
 */
export const PRINT_FIRST_PLAIN_KEY =
  `awk -v RS=, -F: 'NF && $2 != "sha256" { sub(/^[^:]*:/, ""); sub(/\\n$/, ""); print; found = 1; exit } ` +
  `END { if (!found) { print "no plain key stored (only name:sha256:<hex> entries): ask whoever rotated the keys" > "/dev/stderr"; exit 1 } }'`

export function readKeyCommand(secretArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`aws secretsmanager get-secret-value --secret-id ${secretArn} --query SecretString --output text | ${PRINT_FIRST_PLAIN_KEY}`
}

/**
 * What a person types into each client to sign in with OAuth (stack output `oauthClientSetup`). With Cognito the
 * clients register themselves through the app's registration endpoint and get `clientId`; a client that asks for a
 * client ID anyway takes it, without a secret. An external issuer's clients are registered there.
 */
export function oauthSignInSteps(url: string, clientId?: string): Record<'claude' | 'vscode' | 'inspector', string> {
  const server = `${url}/mcp`
  const client = clientId ? `OAuth Client ID ${clientId}, no client secret` : 'the client ID your identity provider registered for it'
  return {
    claude: `Claude.ai or Claude Desktop: Settings > Connectors > Add custom connector, URL ${server}, then Connect and sign in; if it asks for one: ${client}`,
    vscode: `VS Code: MCP: Add Server > HTTP, URL ${server}, then sign in when VS Code asks; if it asks for one: ${client}`,
    inspector: `${INSPECTOR} --transport http --server-url ${server}, then Connect and sign in; if it asks for one: ${client}`,
  }
}

/**
 * What to type to reach the request-scoped leg (stack output `lambdaClientCommands`): it serves MCP 2026-07-28
 * and 2025 Streamable HTTP without sessions, so every command names `/mcp` (legacy SSE needs the service's URL).
 */
export function modernClientCommands(url: string): Record<'inspector' | 'inspectorUi' | 'mcpRemote' | 'curl', string> {
  const auth = `--header "Authorization: Bearer ${KEY_PLACEHOLDER}"`
  return {
    inspector: `${INSPECTOR} --cli ${url}/mcp --transport http --protocol-era modern ${auth} --method tools/list`,
    inspectorUi: `${INSPECTOR} --transport http --protocol-era modern --server-url ${url}/mcp ${auth}`,
    mcpRemote: `npx mcp-remote@0.15.1 ${url}/mcp --transport http-only --protocol auto --header "Authorization: Bearer ${KEY_PLACEHOLDER}"`,
    curl: `curl -s ${url}/mcp -H "Authorization: Bearer ${KEY_PLACEHOLDER}" -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" -H "MCP-Protocol-Version: 2026-07-28" -H "Mcp-Method: tools/list" -d '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'`,
  }
}
