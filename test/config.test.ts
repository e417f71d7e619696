import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../app/config.js'
import { findKey } from '../app/keys.js'
import { catalogNames } from '../app/mcp/catalog.js'

const KEYS = 'alice:alice-secret-0123456789'

function problemsOf(env: Record<string, string>, toolNames?: string[]): string[] {
  try {
    loadConfig(env, { catalog: toolNames && { tools: toolNames, prompts: [], resources: [] } })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('the configuration was accepted')
}

t.test('defaults match docs/configuration.md', async (t) => {
  const config = loadConfig({ MCP_API_KEYS: KEYS })
  t.match(config, {
    production: false,
    port: 3000,
    host: '0.0.0.0',
    logLevel: 'info',
    basePath: '',
    allowedOrigins: [],
    heartbeatMs: 15_000,
    maxBodyBytes: 1_048_576,
    rateLimitPerMin: 1_200,
    authFailuresPerMin: 60,
    maxSessions: 1_000,
    maxSessionsPerKey: 100,
    sessionIdleMs: 1_800_000,
    drainMs: 2_000,
    maxStreamBufferBytes: 1_048_576,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 15_000,
    maxInFlightPerKey: 100,
    maxInputBytes: 134_217_728,
    maxInputBytesPerKey: 16_777_216,
    maxJsonDepth: 64,
    maxJsonElements: 20_000,
    heapShedPercent: 85,
    keepAliveTimeoutMs: 65_000,
    trustProxy: false,
    redisTimeoutMs: 300,
    maxProfilesPerKey: 1_000,
  })
  t.equal(config.metricsToken, undefined)
  t.equal(config.sessionSecret, undefined)
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, NODE_ENV: 'production' }).drainMs, 30_000, 'production drains for 30 s, development for 2 s')
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, MCP_DRAIN_MS: '0' }).drainMs, 0, 'an explicit drain wins in either')
})

t.test('values are read and normalised', async (t) => {
  const config = loadConfig({
    MCP_API_KEYS: KEYS,
    PORT: '8080',
    MCP_BASE_PATH: '/team-a/',
    MCP_ALLOWED_ORIGINS: ' https://a.example , https://b.example ,',
    MCP_TRUST_PROXY: '10.0.0.0/8',
    MCP_HEARTBEAT_MS: '2500',
    NODE_ENV: 'production',
  })
  t.match(config, { port: 8080, basePath: '/team-a', allowedOrigins: ['https://a.example', 'https://b.example'], trustProxy: '10.0.0.0/8', heartbeatMs: 2500, production: true })
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: 'true' }).trustProxy, true)
})

t.test('each bad value stops start-up with a line naming its variable', async (t) => {
  const bad: [string, string][] = [
    ['MCP_HEARTBEAT_MS', 'abc'],
    ['MCP_HEARTBEAT_MS', '50'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['MCP_BASE_PATH', 'team-a'],
    ['MCP_BASE_PATH', '/team a'],
    ['MCP_MAX_SESSIONS', '0'],
    ['MCP_MAX_BODY_BYTES', '1.5'],
    ['MCP_SESSION_IDLE_MS', 'soon'],
    ['MCP_METRICS_TOKEN', 'short'],
    ['MCP_SESSION_SECRET', 'too-short'],
    ['MCP_PUBLIC_URL', 'not a url'],
    ['NODE_ENV', 'prod'],
    ['MCP_TRUST_PROXY', 'yes'],
    ['MCP_TRUST_PROXY', '10.0.0.0/33'],
    ['MCP_TRUST_PROXY', '10.0.0.1,'],
    ['MCP_PEER_PORT', '3000'],
    ['MCP_DEV_KEY', 'short'],
  ]
  for (const [name, value] of bad) {
    const problems = problemsOf({ MCP_API_KEYS: KEYS, [name]: value })
    t.equal(problems.length, 1, `${name}=${value}: one problem`)
    t.match(problems[0], new RegExp(`^${name}: \\S`), `${name}=${value}: names the variable`)
  }
})

t.test('several bad values are all reported, one line each, and the message is readable', async (t) => {
  let error: unknown
  try {
    loadConfig({ MCP_API_KEYS: KEYS, PORT: 'x', MCP_DRAIN_MS: '-5', LOG_LEVEL: 'chatty' })
  } catch (caught) {
    error = caught
  }
  t.ok(error instanceof ConfigError)
  const { problems, message } = error as ConfigError
  t.same(problems.map((problem) => problem.split(':')[0]).sort(), ['LOG_LEVEL', 'MCP_DRAIN_MS', 'PORT'])
  const lines = message.split('\n')
  t.equal(lines.length, 3, 'one line per problem')
  t.ok(lines.every((line) => line.startsWith('Invalid configuration: ')), 'each line says what it is')
})

t.test('secrets in bad values never appear in the error', async (t) => {
  const secrets = ['tiny-secret', 'shortmetric', 'session-secret-tooshort']
  const problems = [
    ...problemsOf({ MCP_API_KEYS: `alice:${secrets[0]}` }),
    ...problemsOf({ MCP_API_KEYS: KEYS, MCP_METRICS_TOKEN: secrets[1] }),
    ...problemsOf({ MCP_API_KEYS: KEYS, MCP_SESSION_SECRET: secrets[2] }),
  ]
  t.equal(problems.length, 3)
  for (const secret of secrets) t.notOk(problems.join('\n').includes(secret), 'secret absent')
})

t.test('NODE_ENV=production without keys refuses to start, naming MCP_API_KEYS', async (t) => {
  const problems = problemsOf({ NODE_ENV: 'production' })
  t.equal(problems.length, 1)
  t.match(problems[0], /^MCP_API_KEYS: .*production/)
  t.match(problemsOf({ NODE_ENV: 'production', MCP_API_KEYS: ' , ' })[0], /^MCP_API_KEYS:/, 'blank entries are no keys')
  t.same(loadConfig({}).keys, [], 'outside production no keys is allowed (main.ts then makes a development key)')
})

t.test('MCP_REDIS_TIMEOUT_MS and MCP_MAX_PROFILES_PER_KEY are read and checked', async (t) => {
  t.match(loadConfig({ MCP_API_KEYS: KEYS, MCP_REDIS_TIMEOUT_MS: '750', MCP_MAX_PROFILES_PER_KEY: '5' }), { redisTimeoutMs: 750, maxProfilesPerKey: 5 })
  t.match(problemsOf({ MCP_API_KEYS: KEYS, MCP_REDIS_TIMEOUT_MS: 'soon', MCP_MAX_PROFILES_PER_KEY: '0' }), [/^MCP_REDIS_TIMEOUT_MS: /, /^MCP_MAX_PROFILES_PER_KEY: /])
})

t.test('a tools= name the catalog lacks is one line naming the key and the tool', async (t) => {
  const env = { MCP_API_KEYS: `${KEYS}:tools=whoami|get_wether` }
  t.same(problemsOf(env, ['whoami', 'get_weather']), ['MCP_API_KEYS: key "alice": tools= names "get_wether", not a tool of this server (tools: whoami, get_weather)'])
  t.same([...(loadConfig(env).keys[0].allowedTools ?? [])], ['whoami', 'get_wether'], 'without the catalog names nothing is checked')
})

t.test('stdio needs no keys, even in production', async (t) => {
  t.same(loadConfig({ NODE_ENV: 'production' }, { needsKeys: false }).keys, [])
})

t.test('MCP_API_KEYS_FILE: entries one per line with comments; an unreadable file names the variable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'))
  const file = join(dir, 'keys')
  writeFileSync(file, '# team keys\nalice:alice-secret-0123456789\n\nbob:bob-secret-0123456789abc:tools=whoami\n')
  const config = loadConfig({ MCP_API_KEYS_FILE: file, NODE_ENV: 'production' })
  t.same(config.keys.map((key) => key.name), ['alice', 'bob'])
  t.equal(findKey(config.keys, 'bob-secret-0123456789abc')?.name, 'bob')
  const problems = problemsOf({ MCP_API_KEYS_FILE: join(dir, 'missing') })
  t.match(problems, [/^MCP_API_KEYS_FILE: cannot read the file \(ENOENT\)$/])
  writeFileSync(file, 'alice:short\n')
  t.match(problemsOf({ MCP_API_KEYS_FILE: file }), [/^MCP_API_KEYS_FILE: /])
})

t.test('a value that is not a number says so in words, never "NaN"', async (t) => {
  t.same(problemsOf({ MCP_API_KEYS: KEYS, PORT: 'abc' }), ['PORT: must be a whole number'])
  t.same(problemsOf({ MCP_API_KEYS: KEYS, MCP_HEARTBEAT_MS: '50' }), ['MCP_HEARTBEAT_MS: must be at least 100'])
  t.same(problemsOf({ MCP_API_KEYS: KEYS, PORT: '70000' }), ['PORT: must be at most 65535'])
})

t.test('MCP_TRUST_PROXY: true/false in any case, addresses and ranges as proxy-addr reads them, else one line', async (t) => {
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: 'TRUE' }).trustProxy, true)
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: 'False' }).trustProxy, false)
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, '10.0.0.0/8, 127.0.0.1')
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: 'loopback' }).trustProxy, 'loopback')
  t.same(problemsOf({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: 'yes' }), ['MCP_TRUST_PROXY: must be true, false or comma-separated IP addresses / CIDR ranges (invalid IP address: yes)'])
  t.match(problemsOf({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: '10.0.0.0/33' }), [/^MCP_TRUST_PROXY: .*invalid range on address: 10\.0\.0\.0\/33/])
})

t.test('NODE_ENV names one of three modes; a typo is refused instead of starting in development', async (t) => {
  t.same(problemsOf({ MCP_API_KEYS: KEYS, NODE_ENV: 'prod' }), ['NODE_ENV: must be development, production or test'])
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, NODE_ENV: 'test' }).production, false)
})

t.test('every problem is reported at once: settings, keys and the production check together', async (t) => {
  const problems = problemsOf({ NODE_ENV: 'production', PORT: 'abc', MCP_TRUST_PROXY: 'yes', MCP_API_KEYS: 'bare-secret-without-a-name', MCP_DEV_KEY: 'dev-key-of-16-chars-or-more' }, ['whoami'])
  t.same(problems.map((problem) => problem.split(':')[0]), ['PORT', 'MCP_TRUST_PROXY', 'MCP_API_KEYS', 'MCP_DEV_KEY'])
  t.notOk(problems.join('\n').includes('bare-secret-without-a-name'), 'a bad entry is named by position, never shown')
  t.same(problemsOf({ MCP_API_KEYS: `${KEYS}:tools=nope`, LOG_LEVEL: 'loud' }, ['whoami']).map((problem) => problem.split(':')[0]), ['LOG_LEVEL', 'MCP_API_KEYS'], 'an allow-list problem beside a bad setting')
})

t.test('MCP_DEV_KEY: the secret of the development key outside production; refused in production', async (t) => {
  t.equal(loadConfig({ MCP_DEV_KEY: 'a-stable-development-key' }).devKey, 'a-stable-development-key')
  t.same(problemsOf({ NODE_ENV: 'production', MCP_API_KEYS: KEYS, MCP_DEV_KEY: 'a-stable-development-key' }), ['MCP_DEV_KEY: only for development; NODE_ENV=production uses MCP_API_KEYS or MCP_API_KEYS_FILE'])
})

t.test('MCP_CONFORMANCE_FIXTURES: off unless 1; anything else is one line; refused in production', async (t) => {
  t.equal(loadConfig({ MCP_API_KEYS: KEYS }).conformanceFixtures, false, 'off by default')
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, MCP_CONFORMANCE_FIXTURES: '0' }).conformanceFixtures, false)
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, MCP_CONFORMANCE_FIXTURES: '1' }).conformanceFixtures, true)
  t.equal(loadConfig({ NODE_ENV: 'test', MCP_API_KEYS: KEYS, MCP_CONFORMANCE_FIXTURES: '1' }).conformanceFixtures, true, 'allowed under NODE_ENV=test')
  t.same(problemsOf({ MCP_API_KEYS: KEYS, MCP_CONFORMANCE_FIXTURES: 'yes' }), ['MCP_CONFORMANCE_FIXTURES: must be 0 or 1'])
  t.same(problemsOf({ NODE_ENV: 'production', MCP_API_KEYS: KEYS, MCP_CONFORMANCE_FIXTURES: '1' }), [
    'MCP_CONFORMANCE_FIXTURES: only for testing; NODE_ENV=production never serves the conformance fixtures',
  ])
  t.equal(loadConfig({ NODE_ENV: 'production', MCP_API_KEYS: KEYS, MCP_CONFORMANCE_FIXTURES: '0' }).conformanceFixtures, false, 'production with the setting off starts')
})

t.test('MCP_PEER_PORT must differ from PORT unless relaying is off', async (t) => {
  t.same(problemsOf({ MCP_API_KEYS: KEYS, PORT: '4000', MCP_PEER_PORT: '4000' }), ['MCP_PEER_PORT: must differ from PORT (both 4000); 0 turns relaying off'])
  t.equal(loadConfig({ MCP_API_KEYS: KEYS, PORT: '0', MCP_PEER_PORT: '0' }).peerPort, 0)
})

t.test('OAuth settings: each problem one line naming its setting', async (t) => {
  const issuer = 'https://login.example.com/tenant'
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ MCP_API_KEYS: KEYS, ...env }, { catalog: catalogNames })
      return []
    } catch (error) {
      return (error as ConfigError).problems
    }
  }
  t.same(problems({ MCP_OAUTH_ISSUER: issuer }), ['MCP_PUBLIC_URL: required with MCP_OAUTH_ISSUER (the URL clients use; the resource identifiers are built from it)'])
  t.match(problems({ MCP_OAUTH_ISSUER: issuer, MCP_PUBLIC_URL: 'https://mcp.example.com/elsewhere' }), [/^MCP_PUBLIC_URL: with OAuth on, must be the origin clients use, or the origin and MCP_BASE_PATH/])
  t.same(problems({ MCP_OAUTH_ISSUER: issuer, MCP_PUBLIC_URL: 'https://mcp.example.com/team', MCP_BASE_PATH: '/team' }), [], 'the origin and the base path, as the stack sets it')
  t.same(problems({ MCP_OAUTH_ISSUER: 'http://login.example.com', MCP_PUBLIC_URL: 'https://mcp.example.com' }), ['MCP_OAUTH_ISSUER: must be https (or a loopback address)'])
  t.same(problems({ NODE_ENV: 'production', MCP_OAUTH_ISSUER: issuer, MCP_PUBLIC_URL: 'http://mcp.example.com' }), ['MCP_PUBLIC_URL: must be https in production with OAuth on'])
  t.match(problems({ MCP_OAUTH_ISSUER: issuer, MCP_PUBLIC_URL: 'https://mcp.example.com', MCP_OAUTH_GRANTS: 'mcp:math:tools=add|ad' }), [/^MCP_OAUTH_GRANTS: grant "mcp:math": tools= names "ad", not a tool of this server/])
  t.same(problems({ MCP_OAUTH_ISSUER: issuer, MCP_PUBLIC_URL: 'https://mcp.example.com', MCP_OAUTH_REGISTRATION_CLIENT_ID: 'c' }), [
    'MCP_OAUTH_REGISTRATION_CLIENT_ID: needs MCP_OAUTH_AS_METADATA=bridge (clients find the registration endpoint in the metadata served here)',
    'MCP_OAUTH_REDIRECT_URIS: required with MCP_OAUTH_REGISTRATION_CLIENT_ID (the redirect URIs the pre-registered client accepts)',
  ])
  t.same(problems({ NODE_ENV: 'production', MCP_API_KEYS: '', MCP_OAUTH_ISSUER: issuer, MCP_PUBLIC_URL: 'https://mcp.example.com' }), [], 'production needs no keys with OAuth on')
  const config = loadConfig({ MCP_API_KEYS: KEYS, MCP_OAUTH_ISSUER: issuer, MCP_PUBLIC_URL: 'https://mcp.example.com' })
  t.match(config.oauth, { issuer, resourceBase: 'https://mcp.example.com', audiences: ['https://mcp.example.com/mcp', 'https://mcp.example.com/sse'], clientIds: [], requiredScopes: [], grants: [], keysInBearer: true, jwksCooldownMs: 30_000, bridge: false, redirectUris: [] }, 'the defaults')
  t.equal(loadConfig({ MCP_API_KEYS: KEYS }).oauth, undefined, 'off without an issuer')
})
