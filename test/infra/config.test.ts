// The stack configuration loader: defaults, the dev stack file, the documented table, the example production
// stack, and every rule that stops a deployment that could not keep sessions alive.
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import infraConfig from '../../infra/config.js'
import { parse } from 'yaml'
import { DEV_STACK_FILE, PROJECT, devStackConfig } from './program.js'

// infra/ is CommonJS (Pulumi runs it with ts-node); from ESM its exports arrive as the default export.
const { configSchema, parseConfig } = infraConfig
const KEYS = Object.keys(configSchema.shape)
const devOwnKeys = Object.fromEntries(Object.entries(devStackConfig()).filter(([key]) => key.startsWith(`${PROJECT}:`)).map(([key, value]) => [key.slice(PROJECT.length + 1), value]))

t.test('Pulumi.dev.yaml is valid and spells out exactly the defaults', async (t) => {
  t.same(parseConfig(devOwnKeys), parseConfig({}))
})

t.test('Pulumi.dev.yaml names every key, setting it or showing it commented out', async (t) => {
  const text = readFileSync(DEV_STACK_FILE, 'utf8')
  for (const key of KEYS) t.ok(key in devOwnKeys || text.includes(`# ${PROJECT}:${key}:`), key)
})

t.test('docs/stack-configuration.md documents every key, with its default', async (t) => {
  const page = readFileSync(new URL('../../docs/stack-configuration.md', import.meta.url), 'utf8')
  const defaults = parseConfig({}) as Record<string, unknown>
  for (const key of KEYS) {
    const row = page.split('\n').find((line) => line.startsWith(`| \`${key}\` |`))
    t.ok(row, key)
    const shown = row?.split('|')[2]?.trim()
    const value = defaults[key]
    if (value === undefined) t.equal(shown, 'none', `${key} has no default`)
    else if (value === '') t.equal(shown, 'empty', `${key} defaults to empty`)
    else t.equal(shown, `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``, `${key} defaults to ${JSON.stringify(value)}`)
  }
})

t.test('the production example is valid, serves a domain with TLS 1.2 or later, and no `pulumi up` picks it up by accident', async (t) => {
  const root = new URL('../../', import.meta.url)
  const stackFiles = readdirSync(root).filter((file) => /^Pulumi\..+\.ya?ml$/.test(file))
  t.same(stackFiles, ['Pulumi.dev.yaml'], 'beside Pulumi.yaml only the dev stack, whose values are the defaults')
  const { config } = parse(readFileSync(new URL('examples/Pulumi.prod.yaml', root), 'utf8')) as { config: Record<string, unknown> }
  const own = Object.fromEntries(Object.entries(config).filter(([key]) => key.startsWith(`${PROJECT}:`)).map(([key, value]) => [key.slice(PROJECT.length + 1), typeof value === 'string' ? value : JSON.stringify(value)]))
  const prod = parseConfig(own)
  t.ok(prod.domainName, 'a domain: CloudFront\'s default domain accepts TLS 1.0 whatever the policy')
  t.match(prod.sslPolicy, /^ELBSecurityPolicy-TLS13-1-2-/, 'an ALB policy whose oldest protocol is TLS 1.2')
})

const broken: [string, Record<string, string>, string][] = [
  ['stopTimeout without the margin after the drain', { drainMs: '16000', stopTimeoutSeconds: '20' }, 'stopTimeoutSeconds'],
  ['a CloudFront read timeout within two heartbeats', { originReadTimeoutSeconds: '30' }, 'originReadTimeoutSeconds'],
  ['a CloudFront keep-alive not below the ALB idle timeout', { originKeepaliveTimeoutSeconds: '60' }, 'originKeepaliveTimeoutSeconds'],
  ['client CIDRs behind CloudFront (a security group cannot see them)', { allowedCidrs: '["203.0.113.0/24"]' }, 'allowedCidrs'],
  ['a domain without a hosted zone or certificate', { domainName: 'mcp.example.com' }, 'hostedZoneId'],
  ['a certificate without its domain', { certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x' }, 'certificateArn'],
  ['plain HTTP with a domain', { devOnlyPlainHttp: 'true', domainName: 'mcp.example.com', hostedZoneId: 'Z1' }, 'devOnlyPlainHttp'],
  ['a CloudFront read timeout over the 120 s the API takes', { originReadTimeoutSeconds: '121', idleTimeoutSeconds: '200' }, 'originReadTimeoutSeconds'],
  ['a CloudFront keep-alive over the 120 s the API takes', { originKeepaliveTimeoutSeconds: '121', idleTimeoutSeconds: '200' }, 'originKeepaliveTimeoutSeconds'],
  ['a tool setting named like a variable the stack sets', { toolSettings: '{"MCP_DRAIN_MS":"1"}' }, 'toolSettings'],
  ['a tool secret named like a secret the stack sets', { toolSecrets: '{"MCP_API_KEYS":"arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf"}' }, 'toolSecrets'],
  ['a tool secret that is no complete Secrets Manager ARN', { toolSecrets: '{"WEATHER_API_KEY":"arn:aws:secretsmanager:us-east-1:123456789012:secret:weather"}' }, 'toolSecrets'],
  ['a tool variable that is no environment variable name', { toolSettings: '{"WEATHER-UNITS":"metric"}' }, 'toolSettings'],
  ['a tool setting named like a tracing variable the stack sets', { toolSettings: '{"OTEL_TRACES_SAMPLER":"always_on"}' }, 'toolSettings'],
  ['a sampling ratio above 1', { tracingEnabled: 'true', tracingSampleRatio: '10' }, 'tracingSampleRatio'],
  ['tracing without NAT (the collector image and X-Ray are outside the VPC endpoints)', { tracingEnabled: 'true', natGateways: 'none', vpcEndpoints: 'true' }, 'tracingEnabled'],
  ['a negative sampling ratio', { tracingEnabled: 'true', tracingSampleRatio: '-0.1' }, 'tracingSampleRatio'],
  ['a tool variable both plain and secret', { toolSettings: '{"WEATHER_API_KEY":"x"}', toolSecrets: '{"WEATHER_API_KEY":"arn:aws:secretsmanager:us-east-1:123456789012:secret:weather-AbCdEf"}' }, 'toolSecrets'],
  ['stopTimeout over the ECS maximum', { stopTimeoutSeconds: '121' }, 'stopTimeoutSeconds'],
  ['idle timeout not above two heartbeats', { idleTimeoutSeconds: '30' }, 'idleTimeoutSeconds'],
  ['memory Fargate does not offer with that CPU', { cpu: '512', memory: '512' }, 'memory'],
  ['no NAT and no VPC endpoints', { natGateways: 'none' }, 'vpcEndpoints'],
  ['scaling target at the session cap', { sessionsTargetPerTask: '1000' }, 'sessionsTargetPerTask'],
  ['desired count outside min..max', { desiredCount: '11' }, 'desiredCount'],
  ['peer port on the app port', { peerPort: '3000' }, 'peerPort'],
  ['a retention CloudWatch does not offer', { logRetentionDays: '10' }, 'logRetentionDays'],
  ['a misspelt key', { drainMS: '30000' }, 'drainMS'],
  ['a number that is not one', { heartbeatMs: 'fast' }, 'heartbeatMs'],
  ['a certificate that is no ACM ARN', { certificateArn: 'my-cert', domainName: 'mcp.example.com' }, 'certificateArn'],
]
for (const [what, values, key] of broken) {
  t.test(`rejects ${what}, naming ${key}`, async (t) => {
    t.throws(() => parseConfig(values), { message: new RegExp(`invalid stack configuration[\\s\\S]*${key}`) })
  })
}

/** OAuth keys that exist but hold a bad value or contradict each other: refused with the reason, at the key. */
const brokenOAuth: [string, Record<string, string>, string, string][] = [
  ['an issuer on plain http', { oauthIssuer: 'http://login.example.com' }, 'oauthIssuer', 'Invalid URL'],
  ['an issuer with a query', { oauthIssuer: 'https://login.example.com/?tenant=a' }, 'oauthIssuer', 'an https URL without query or fragment'],
  ['an issuer with a fragment', { oauthIssuer: 'https://login.example.com/#a' }, 'oauthIssuer', 'an https URL without query or fragment'],
  ['an issuer that is no URL', { oauthIssuer: 'login.example.com' }, 'oauthIssuer', 'Invalid URL'],
  ['an external issuer and Cognito at once', { oauthIssuer: 'https://login.example.com', cognitoEnabled: 'true' }, 'cognitoEnabled', 'an external issuer (oauthIssuer) and Cognito exclude each other'],
  ['an audience without an external issuer', { oauthAudience: '["api://mcp"]' }, 'oauthAudience', 'applies to an external issuer (oauthIssuer) only'],
  ['an audience with Cognito', { cognitoEnabled: 'true', oauthAudience: '["api://mcp"]' }, 'oauthAudience', 'applies to an external issuer (oauthIssuer) only'],
  ['an audience with a space', { oauthIssuer: 'https://login.example.com', oauthAudience: '["api mcp"]' }, 'oauthAudience', 'an audience without spaces'],
  ['required scopes without OAuth', { oauthRequiredScopes: '["mcp.read"]' }, 'oauthRequiredScopes', 'needs OAuth on'],
  ['a required scope with a space', { oauthIssuer: 'https://login.example.com', oauthRequiredScopes: '["mcp read"]' }, 'oauthRequiredScopes', 'a scope: printable ASCII without spaces'],
  ['a required scope Cognito does not define', { cognitoEnabled: 'true', oauthRequiredScopes: '["admin"]' }, 'oauthRequiredScopes', 'admin: not in cognitoScopes'],
  ['OAuth on plain HTTP', { oauthIssuer: 'https://login.example.com', devOnlyPlainHttp: 'true' }, 'devOnlyPlainHttp', 'OAuth needs HTTPS'],
  ['Cognito on plain HTTP', { cognitoEnabled: 'true', devOnlyPlainHttp: 'true' }, 'devOnlyPlainHttp', 'OAuth needs HTTPS'],
  ['an issuer without NAT (tasks fetch its metadata before they serve)', { oauthIssuer: 'https://login.example.com', natGateways: 'none', vpcEndpoints: 'true' }, 'natGateways', 'OAuth needs a NAT gateway'],
  ['Cognito without NAT (a pool with a domain is out of PrivateLink\'s reach)', { cognitoEnabled: 'true', natGateways: 'none', vpcEndpoints: 'true' }, 'natGateways', 'OAuth needs a NAT gateway'],
  ['a Cognito domain prefix without Cognito', { cognitoDomainPrefix: 'team-mcp' }, 'cognitoDomainPrefix', 'needs cognitoEnabled'],
  ['a Cognito domain prefix with a reserved word', { cognitoEnabled: 'true', cognitoDomainPrefix: 'team-aws-mcp' }, 'cognitoDomainPrefix', 'may not contain aws, amazon or cognito'],
  ['a Cognito domain prefix in capitals', { cognitoEnabled: 'true', cognitoDomainPrefix: 'Team-MCP' }, 'cognitoDomainPrefix', 'lower-case letters, digits and inner hyphens'],
  ['a Cognito scope with a slash', { cognitoEnabled: 'true', cognitoScopes: '["tools/read"]' }, 'cognitoScopes', 'a scope name: printable ASCII without spaces, quotes, backslashes or slashes'],
  ['no Cognito scope', { cognitoEnabled: 'true', cognitoScopes: '[]' }, 'cognitoScopes', 'expected array to have >=1 items'],
  ['a plain-http callback to another host', { cognitoEnabled: 'true', cognitoCallbackUrls: '["http://example.com/callback"]' }, 'cognitoCallbackUrls', 'https, http to localhost'],
  ['a callback with a fragment', { cognitoEnabled: 'true', cognitoCallbackUrls: '["https://example.com/callback#x"]' }, 'cognitoCallbackUrls', 'https, http to localhost'],
  ['a script callback', { cognitoEnabled: 'true', cognitoCallbackUrls: '["javascript:alert(1)"]' }, 'cognitoCallbackUrls', 'https, http to localhost'],
  ['no callback at all', { cognitoEnabled: 'true', cognitoCallbackUrls: '[]' }, 'cognitoCallbackUrls', 'expected array to have >=1 items'],
  ['a token check that is none of the two', { cognitoEnabled: 'true', cognitoTokenCheck: 'none' }, 'cognitoTokenCheck', 'expected one of "audience"|"clientId"'],
  ['a tool setting named like an OAuth setting the stack sets', { toolSettings: '{"MCP_OAUTH_ISSUER":"https://evil.example"}' }, 'toolSettings', 'MCP_OAUTH_ISSUER: set by the stack itself'],
]
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
for (const [what, values, key, reason] of brokenOAuth) {
  t.test(`rejects ${what}, naming ${key}: ${reason}`, async (t) => {
    t.throws(() => parseConfig(values), { message: new RegExp(`invalid stack configuration[\\s\\S]*✖ [^\\n]*${escape(reason)}[^\\n]*\\n\\s*→ at ${escape(key)}`) })
  })
}

t.test('OAuth settings that are valid: an issuer with a path and trailing slash, Cognito callbacks of every kind Cognito takes', async (t) => {
  t.match(parseConfig({ oauthIssuer: 'https://tenant.auth0.com/', oauthAudience: '["https://mcp.example.com/mcp"]', oauthRequiredScopes: '["mcp:read"]' }), { oauthIssuer: 'https://tenant.auth0.com/', oauthAudience: ['https://mcp.example.com/mcp'] })
  const callbacks = ['https://app.example.com/cb', 'http://localhost:3334/oauth/callback', 'http://127.0.0.1:8080/', 'http://[::1]:9000/cb', 'cursor://anysphere.cursor-mcp/oauth/callback']
  t.same(parseConfig({ cognitoEnabled: 'true', cognitoCallbackUrls: JSON.stringify(callbacks), cognitoDomainPrefix: 'team-mcp-1', oauthRequiredScopes: '["access"]' }).cognitoCallbackUrls, callbacks)
})

t.test('values arrive as Pulumi passes them: numbers, booleans and lists JSON-encoded, strings as they are', async (t) => {
  const config = parseConfig({ cacheEnabled: 'true', cpu: '1024', memory: '2048', allowedCidrs: '["10.1.0.0/16"]', basePath: '/team-a', domainName: 'mcp.example.com', hostedZoneId: 'Z0123456789ABC' })
  t.match(config, { cacheEnabled: true, cpu: 1024, memory: 2048, allowedCidrs: ['10.1.0.0/16'], basePath: '/team-a', domainName: 'mcp.example.com', hostedZoneId: 'Z0123456789ABC' })
})

t.test('Fargate Spot with ARM64 is accepted: "FARGATE_SPOT supports Linux tasks with the ARM64 architecture on platform version 1.4.0 or later" (ECS API Reference, CapacityProviderStrategyItem)', async (t) => {
  t.match(parseConfig({ fargateSpotWeight: '1', cpuArchitecture: 'ARM64' }), { fargateSpotWeight: 1, cpuArchitecture: 'ARM64' })
})

t.test('the CloudFront origin timeouts accept the API\'s whole range, 1 to 120 s', async (t) => {
  t.match(parseConfig({ originReadTimeoutSeconds: '120', originKeepaliveTimeoutSeconds: '119', idleTimeoutSeconds: '120' }), { originReadTimeoutSeconds: 120, originKeepaliveTimeoutSeconds: 119 })
})

t.test('tool settings and secrets: environment variable names with plain values, or Secrets Manager ARNs (a JSON key allowed)', async (t) => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tools/weather-AbCdEf'
  const config = parseConfig({ toolSettings: '{"MCP_WEATHER_TIMEOUT_MS":"3000","UNITS":"metric"}', toolSecrets: JSON.stringify({ WEATHER_API_KEY: arn, WEATHER_ACCOUNT: `${arn}:account::` }) })
  t.same(config.toolSettings, { MCP_WEATHER_TIMEOUT_MS: '3000', UNITS: 'metric' })
  t.same(config.toolSecrets, { WEATHER_API_KEY: arn, WEATHER_ACCOUNT: `${arn}:account::` })
  t.throws(() => parseConfig({ toolSettings: '{"PORT":"1","NODE_OPTIONS":"x"}' }), { message: /PORT, NODE_OPTIONS: set by the stack itself/ })
})

t.test('the key-reading command prints the first plain key, and after a rotation to hashed keys says so instead of printing a hash', async (t) => {
  const { PRINT_FIRST_PLAIN_KEY } = (await import('../../infra/connect.js')).default
  const { spawnSync } = await import('node:child_process')
  const read = (secretString: string) => spawnSync('sh', ['-c', PRINT_FIRST_PLAIN_KEY], { input: `${secretString}\n`, encoding: 'utf8' })
  t.equal(read('ops:abc123,alice:sha256:' + 'a'.repeat(64)).stdout, 'abc123\n')
  t.equal(read('alice:sha256:' + 'a'.repeat(64) + ',ops:xyz').stdout, 'xyz\n', 'skips hashed entries')
  const hashedOnly = read('alice:sha256:' + 'a'.repeat(64))
  t.equal(hashedOnly.status, 1)
  t.equal(hashedOnly.stdout, '', 'no hash printed as if it were a key')
  t.match(hashedOnly.stderr, /no plain key stored/)
})
