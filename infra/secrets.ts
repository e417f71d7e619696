// The two secrets every task reads at start-up, kept in Secrets Manager and injected as container secrets
// (never plain environment values): the API keys (`MCP_API_KEYS`) and the session-signing secret
// (`MCP_SESSION_SECRET`, the same for every task so any task can verify any session id, design §4).
//
// Each gets a random first value from Secrets Manager itself. After that the value belongs to ops: key
// rotation is a `put-secret-value` (docs/operations.md, "Keys and secrets"), which later `pulumi up` runs must not undo,
// hence `ignoreChanges` on the value.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

/** The principal name of the key generated at first deployment. */
export const INITIAL_KEY_NAME = 'ops'

export class AppSecrets extends pulumi.ComponentResource {
  readonly apiKeys: aws.secretsmanager.Secret
  readonly sessionSecret: aws.secretsmanager.Secret

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:AppSecrets', name, {}, opts)
    const initialKey = randomPassword(48, this)
    this.apiKeys = managedSecret(`${name}-api-keys`, 'MCP_API_KEYS: comma-separated name:secret or name:sha256:<hex>', pulumi.interpolate`${INITIAL_KEY_NAME}:${initialKey}`, this)
    this.sessionSecret = managedSecret(`${name}-session`, 'MCP_SESSION_SECRET: HMAC key for session ids, shared by all tasks', randomPassword(64, this), this)
    this.registerOutputs({ apiKeysArn: this.apiKeys.arn, sessionSecretArn: this.sessionSecret.arn })
  }
}

/** A secret with a first value from the program; after that its value belongs to ops (`ignoreChanges`). */
export function managedSecret(name: string, description: string, firstValue: pulumi.Input<string>, parent: pulumi.Resource): aws.secretsmanager.Secret {
  const secret = new aws.secretsmanager.Secret(name, { description }, { parent })
  new aws.secretsmanager.SecretVersion(name, { secretId: secret.id, secretString: pulumi.secret(firstValue) }, { parent, ignoreChanges: ['secretString'] })
  return secret
}

// Letters and digits only: no ':' or ',' that would break the MCP_API_KEYS syntax, nothing to escape in a shell,
// and none of the characters an ElastiCache AUTH token may not hold.
export function randomPassword(length: number, parent: pulumi.Resource): pulumi.Output<string> {
  const generated = aws.secretsmanager.getRandomPasswordOutput({ passwordLength: length, excludePunctuation: true, includeSpace: false }, { parent })
  return pulumi.secret(generated.randomPassword)
}
