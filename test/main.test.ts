import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import t from 'tap'
import { EnvSchema } from '../app/config.js'
import { catalogNames } from '../app/mcp/catalog.js'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { ALICE, KEYS, TRANSPORTS, connect, resultJson } from './helpers/server.js'
import { MAIN, eventually, freePort, spawnChild, waitForPort, type Child } from './helpers/processes.js'
import { type Tap, EventStream, bearer, openSse, request } from './helpers/http.js'
import { ensureBuilt } from './helpers/build.js'

ensureBuilt()

/** The environment of a test child: loopback only, no peer listener, no keys unless given. */
const BASE_ENV = { HOST: '127.0.0.1', MCP_PEER_PORT: '0', MCP_API_KEYS: '', MCP_API_KEYS_FILE: '', LOG_LEVEL: 'info' }

/** Bounds a child that must exit by itself; a child still running after it fails the test. */
async function exitWithin(child: Child, ms: number) {
  const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms).unref())
  return Promise.race([child.exited, timeout])
}

/** A server process on a free port, stopped by PID when the test ends. */
async function startMain(t: Tap, env: Record<string, string>) {
  const port = await freePort()
  const child = spawnChild(t, process.execPath, [MAIN], { ...BASE_ENV, PORT: String(port), ...env })
  await waitForPort(port)
  await eventually(() => child.output.includes('Server listening') || !child.running)
  return { child, port, url: `http://127.0.0.1:${port}` }
}

function runToExit(env: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, [MAIN, ...args], { env: { ...process.env, ...BASE_ENV, ...env }, encoding: 'utf8', timeout: 15_000 })
}

/** Holds a port on the address a server would take, as another program would; closed when the test ends. */
async function occupy(t: Tap, port: number, host: string) {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(port, host, resolve))
  t.teardown(() => new Promise((resolve) => blocker.close(resolve)))
}

/** The addresses the kernel says are listening on a TCP port (/proc/net/tcp, IPv4): nothing is sent. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`))
    .map(([, local]) => local.slice(0, 8).match(/../g)!.reverse().map((byte) => parseInt(byte, 16)).join('.'))
}

/** A start that failed on its configuration: exit 78, one line per problem on stderr, no stack, never listening. */
function assertRefused(t: Tap, result: ReturnType<typeof runToExit>, settings: string[]) {
  t.equal(result.status, 78, `exit 78 (${result.stderr.trim()})`)
  const lines = result.stderr.trim().split('\n')
  t.ok(lines.every((line) => line.startsWith('Invalid configuration: ')), 'each line says what it is')
  t.same(lines.map((line) => line.split(': ')[1]), settings, 'one line per problem, naming its setting')
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace')
  t.notMatch(result.stdout, /listening/i, 'never started listening')
}

t.test('NODE_ENV=production without keys exits non-zero with the reason on stderr', async (t) => {
  const result = runToExit({ NODE_ENV: 'production', PORT: String(await freePort()) })
  t.not(result.status, 0, `exit code ${result.status}`)
  t.equal(result.signal, null, 'exited by itself')
  t.match(result.stderr, /MCP_API_KEYS: .*production/)
  t.notMatch(result.stdout, /listening/i, 'never started listening')
})

t.test('NODE_ENV=production with MCP_CONFORMANCE_FIXTURES=1 refuses to start: exit 78, one line', async (t) => {
  assertRefused(t, runToExit({ NODE_ENV: 'production', MCP_API_KEYS: 'alice:alice-secret-0123456789', MCP_CONFORMANCE_FIXTURES: '1' }), ['MCP_CONFORMANCE_FIXTURES'])
})

t.test('a bad configuration value exits non-zero naming the variable, one line per problem', async (t) => {
  const result = runToExit({ MCP_API_KEYS: KEYS, MCP_HEARTBEAT_MS: 'abc', MCP_MAX_SESSIONS: '0' })
  t.not(result.status, 0, `exit code ${result.status}`)
  const lines = result.stderr.trim().split('\n')
  t.ok(lines.every((line) => line.startsWith('Invalid configuration: ')), 'each line says what it is')
  t.same(lines.map((line) => line.split(': ')[1]).sort(), ['MCP_HEARTBEAT_MS', 'MCP_MAX_SESSIONS'], 'one line per variable')
  t.notMatch(result.stdout, /listening/i)
})

t.test('key problems stop the start with one line each: a tools= name no tool has, an entry without ":"', async (t) => {
  const unknownTool = runToExit({ MCP_API_KEYS: `${KEYS}:tools=whoami|wheather` })
  t.equal(unknownTool.status, 78, 'exit 78')
  t.equal(unknownTool.stderr.trim(), `Invalid configuration: MCP_API_KEYS: key "bob": tools= names "wheather", not a tool of this server (tools: ${catalogNames.tools.join(', ')})`)
  const bareSecret = 'just-a-secret-without-a-name-0123'
  const noColon = runToExit({ MCP_API_KEYS: `alice:${ALICE},${bareSecret}` })
  t.equal(noColon.status, 78, 'exit 78')
  t.equal(noColon.stderr.trim(), 'Invalid configuration: MCP_API_KEYS: entry 2: expected name:secret or name:sha256:<hex> (no ":" found)', 'one line naming the position')
  t.notOk(noColon.stderr.includes(bareSecret) || noColon.stderr.includes(ALICE), 'no secret on stderr')
  for (const result of [unknownTool, noColon]) t.notMatch(result.stdout, /listening/i, 'never started listening')
})

t.test('outside production with no keys: a development key, printed once with ready-to-paste commands, works', async (t) => {
  const { child, port, url } = await startMain(t, { NODE_ENV: 'development' })
  // The banner is written after listen resolves, so it may follow the "Server listening" log line.
  await eventually(() => child.output.includes('Inspector UI:') || !child.running)
  const key = /key:\s+(dev_\S+)/.exec(child.output)?.[1]
  t.ok(key, 'the development key is printed')
  if (!key) return
  t.equal(child.output.split(key).length - 1, 4, 'printed once, then in the three commands only')
  t.match(child.output, /to keep it across restarts, start with MCP_DEV_KEY=/, 'the banner says how to keep the key')
  const server = `http://localhost:${port}`
  t.ok(child.output.includes(`npx @modelcontextprotocol/inspector@2.12.0 --cli ${server}/mcp --transport http --header "Authorization: Bearer ${key}" --method tools/call --tool-name whoami`), 'a tool call over /mcp')
  t.ok(child.output.includes(`npx @modelcontextprotocol/inspector@2.12.0 --cli ${server}/sse --transport sse --header "Authorization: Bearer ${key}" --method tools/list`), 'Inspector CLI over legacy SSE')
  t.ok(child.output.includes(`npx @modelcontextprotocol/inspector@2.12.0 --transport sse --server-url ${server}/sse --header "Authorization: Bearer ${key}"`), 'Inspector UI command')
  for (const transport of TRANSPORTS) {
    const client = await connect(t, url, key, transport)
    t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'dev', `the key works over ${transport}`)
    await client.close()
  }
  const logLines = child.output.split('\n').filter((line) => line.startsWith('{'))
  t.ok(logLines.length > 0)
  t.notOk(logLines.some((line) => line.includes(key)), 'the key never reaches a log line')
})

t.test('MCP_DEV_KEY keeps the development key across restarts', async (t) => {
  const devKey = 'dev-key-kept-across-restarts'
  for (const run of [1, 2]) {
    const { child, url } = await startMain(t, { NODE_ENV: 'development', MCP_DEV_KEY: devKey })
    await eventually(() => child.output.includes('Inspector UI:') || !child.running)
    t.match(child.output, new RegExp(`key:\\s+${devKey}\\n`), `run ${run}: the banner shows MCP_DEV_KEY`)
    const client = await connect(t, url, devKey, 'streamable-http')
    t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'dev', `run ${run}: the same key works`)
    await client.close()
    await child.stop()
  }
})

t.test('SIGTERM: readiness 503, open and new sessions keep working (a Spot task may still be in the pool), exit 0 once they are done', async (t) => {
  const drainMs = 20_000
  const { child, url } = await startMain(t, { NODE_ENV: 'production', MCP_API_KEYS: KEYS, MCP_DRAIN_MS: String(drainMs) })
  const clients = await Promise.all(TRANSPORTS.map((transport) => connect(t, url, ALICE, transport)))
  t.equal((await request(`${url}/ready`)).status, 200, 'ready before the signal')
  child.signal('SIGTERM')
  t.ok(await eventually(async () => (await request(`${url}/ready`)).status === 503), '/ready turns 503')
  for (const client of clients) {
    t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'an open session keeps working')
  }
  for (const transport of TRANSPORTS) {
    const fresh = await connect(t, url, ALICE, transport)
    t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', `a new ${transport} session is served while draining`)
    await (fresh.transport as Partial<StreamableHTTPClientTransport>).terminateSession?.()
    await fresh.close()
  }
  t.equal((await request(`${url}/health`)).status, 200, 'still alive while draining')
  // The Streamable HTTP client ends its session as a well-behaved client does; the SSE one just goes.
  await (clients[1].transport as StreamableHTTPClientTransport).terminateSession()
  for (const client of clients) await client.close()
  t.same(await exitWithin(child, drainMs), { code: 0, signal: null }, 'exit 0 within the drain window')
  t.match(child.output, /"msg":"draining"/)
  t.match(child.output, /"msg":"stopped"/)
})

t.test('SIGTERM with a session still open at the end of the drain: its stream is closed and the exit is 0', async (t) => {
  const drainMs = 1_500
  const { child, url } = await startMain(t, { NODE_ENV: 'production', MCP_API_KEYS: KEYS, MCP_DRAIN_MS: String(drainMs) })
  const { stream } = await openSse(t, { url })
  const watcher = await EventStream.open(t, `${url}/sse`, bearer(ALICE))
  child.signal('SIGTERM')
  t.same(await exitWithin(child, drainMs + 10_000), { code: 0, signal: null }, 'exit 0 soon after the drain window')
  t.ok(await stream.waitForEnd(), 'the open stream was ended')
  t.ok(await watcher.waitForEnd(), 'every open stream was ended')
})

t.test('a second signal during the drain exits at once', async (t) => {
  const { child, url } = await startMain(t, { NODE_ENV: 'production', MCP_API_KEYS: KEYS, MCP_DRAIN_MS: '120000' })
  await openSse(t, { url })
  child.signal('SIGTERM')
  t.ok(await eventually(async () => (await request(`${url}/ready`)).status === 503), 'draining')
  child.signal('SIGTERM')
  const exit = await exitWithin(child, 10_000)
  t.not(exit, 'still running', 'exited long before the 120 s drain')
  t.match(exit, { signal: null }, 'by itself, not killed')
  t.match(child.output, /second signal/)
})

t.test('--help prints every setting with its default and exits 0 without starting', async (t) => {
  for (const flag of ['--help', '-h']) {
    const result = runToExit({}, [flag])
    t.equal(result.status, 0, `${flag}: exit 0`)
    t.equal(result.stderr, '', 'nothing on stderr')
    for (const name of Object.keys(EnvSchema.shape)) t.match(result.stdout, new RegExp(`^  ${name} +\\S`, 'm'), `${flag} lists ${name}`)
    t.match(result.stdout, /^  PORT +3000$/m, 'with its default')
    t.match(result.stdout, /^  MCP_CONFORMANCE_FIXTURES +0$/m, 'a 0/1 setting shows 0, the value to write, not "false"')
    t.match(result.stdout, /--stdio/)
    t.notMatch(result.stdout, /listening/i)
  }
})

t.test('unknown flags and arguments are refused with the configuration problems, all at once', async (t) => {
  const result = runToExit({ MCP_API_KEYS: KEYS, PORT: 'abc' }, ['--stdoi', 'extra'])
  assertRefused(t, result, ['command line', 'command line', 'PORT'])
  t.match(result.stderr, /unknown option --stdoi \(options: --stdio, --help\)/)
  t.match(result.stderr, /unexpected argument "extra"/)
})

t.test('proxy trust, mode and numbers: each bad value is a line naming it, every one at once, exit 78', async (t) => {
  const result = runToExit({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: 'yes', NODE_ENV: 'prod', PORT: 'abc', MCP_HEARTBEAT_MS: '1e3' })
  assertRefused(t, result, ['NODE_ENV', 'PORT', 'MCP_HEARTBEAT_MS', 'MCP_TRUST_PROXY'])
  t.match(result.stderr, /PORT: must be a whole number/)
  t.notMatch(result.stderr, /NaN|TypeError/)
  t.notMatch(result.stdout, /dev_/, 'no development key printed for a mistyped production')
  assertRefused(t, runToExit({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: '10.0.0.0/33' }), ['MCP_TRUST_PROXY'])
  assertRefused(t, runToExit({ MCP_API_KEYS: KEYS, MCP_TRUST_PROXY: 'TRUE ', PORT: '-1' }), ['PORT'])
})

t.test('a port in use is one line naming its setting, exit 78: PORT and MCP_PEER_PORT alike', async (t) => {
  const port = await freePort()
  await occupy(t, port, '127.0.0.1')
  const onPort = runToExit({ MCP_API_KEYS: KEYS, PORT: String(port) })
  assertRefused(t, onPort, ['PORT'])
  t.match(onPort.stderr, new RegExp(`PORT: port ${port} is already in use \\(HOST 127\\.0\\.0\\.1\\)`))
  const onPeer = runToExit({ NODE_ENV: 'production', MCP_API_KEYS: KEYS, PORT: String(await freePort()), MCP_PEER_PORT: String(port) })
  assertRefused(t, onPeer, ['MCP_PEER_PORT'])
  t.notMatch(onPeer.stdout, /"msg":"Server listening/, 'no listener left serving with relaying off')
})

t.test('development: the peer port listens on loopback only and no relay warning is logged', async (t) => {
  const peerPort = await freePort()
  const { child } = await startMain(t, { NODE_ENV: 'development', HOST: '0.0.0.0', MCP_API_KEYS: KEYS, MCP_PEER_PORT: String(peerPort) })
  await waitForPort(peerPort)
  t.same(listeningAddresses(peerPort), ['127.0.0.1'], 'peer port on 127.0.0.1 only')
  t.notMatch(child.output, /MCP_SESSION_SECRET/, 'no warning about a secret that matters only between tasks')
})

t.test('production: the peer port listens on HOST, and a missing session secret is warned about', async (t) => {
  const peerPort = await freePort()
  const { child } = await startMain(t, { NODE_ENV: 'production', HOST: '0.0.0.0', MCP_API_KEYS: KEYS, MCP_PEER_PORT: String(peerPort) })
  await waitForPort(peerPort)
  t.same(listeningAddresses(peerPort), ['0.0.0.0'], 'other tasks can reach it')
  t.match(child.output, /MCP_SESSION_SECRET is not set/)
})

t.test('Ctrl-C outside production: a short drain, and the terminal says a second one stops now', async (t) => {
  const { child, url } = await startMain(t, { NODE_ENV: 'development', MCP_API_KEYS: KEYS })
  await openSse(t, { url })
  const sent = Date.now()
  child.signal('SIGINT')
  t.ok(await eventually(() => child.output.includes('press Ctrl-C again to stop now')), 'says how to stop at once')
  t.match(child.output, /open sessions get up to 2 s \(MCP_DRAIN_MS\)/)
  t.same(await exitWithin(child, 10_000), { code: 0, signal: null }, 'exit 0 by itself')
  t.ok(Date.now() - sent < 8_000, `stopped in ${Date.now() - sent} ms with a session open (production would wait 30 s)`)
})
