// The stack configuration loader: defaults, the dev stack file, the README table, and every rule that stops
// a deployment that could not keep sessions alive.
import { readFileSync } from 'node:fs'
import t from 'tap'
import infraConfig from '../../infra/config.js'
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

t.test('the README "Deploy (ops)" section documents every key', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Deploy (ops)'))
  t.ok(readme.includes('## Deploy (ops)'))
  for (const key of KEYS) t.ok(section.includes(`| \`${key}\` |`), key)
})

const broken: [string, Record<string, string>, string][] = [
  ['stopTimeout without the margin after the drain', { drainMs: '16000', stopTimeoutSeconds: '20' }, 'stopTimeoutSeconds'],
  ['a CloudFront read timeout within two heartbeats', { originReadTimeoutSeconds: '30' }, 'originReadTimeoutSeconds'],
  ['a CloudFront keep-alive not below the ALB idle timeout', { originKeepaliveTimeoutSeconds: '60' }, 'originKeepaliveTimeoutSeconds'],
  ['client CIDRs behind CloudFront (a security group cannot see them)', { allowedCidrs: '["203.0.113.0/24"]' }, 'allowedCidrs'],
  ['a domain without a hosted zone or certificate', { domainName: 'mcp.example.com' }, 'hostedZoneId'],
  ['a certificate without its domain', { certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x' }, 'certificateArn'],
  ['plain HTTP with a domain', { devOnlyPlainHttp: 'true', domainName: 'mcp.example.com', hostedZoneId: 'Z1' }, 'devOnlyPlainHttp'],
  ['Fargate Spot with ARM64, which AWS does not offer', { fargateSpotWeight: '1', cpuArchitecture: 'ARM64' }, 'fargateSpotWeight'],
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

t.test('values arrive as Pulumi passes them: numbers, booleans and lists JSON-encoded, strings as they are', async (t) => {
  const config = parseConfig({ cacheEnabled: 'true', cpu: '1024', memory: '2048', allowedCidrs: '["10.1.0.0/16"]', basePath: '/team-a', domainName: 'mcp.example.com', hostedZoneId: 'Z0123456789ABC' })
  t.match(config, { cacheEnabled: true, cpu: 1024, memory: 2048, allowedCidrs: ['10.1.0.0/16'], basePath: '/team-a', domainName: 'mcp.example.com', hostedZoneId: 'Z0123456789ABC' })
})

t.test('the Spot + ARM64 refusal says what to change', async (t) => {
  t.throws(() => parseConfig({ fargateSpotWeight: '1', cpuArchitecture: 'ARM64' }), { message: /Fargate Spot does not run ARM64 tasks: set cpuArchitecture X86_64 or fargateSpotWeight 0/ })
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
