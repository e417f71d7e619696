import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { ensureBuilt } from '../helpers/build.js'
import { counter, eventually, isRunning, startTask } from '../helpers/processes.js'
import { ALICE, resultJson } from '../helpers/server.js'
import { startBridge } from './mcp-remote.js'
import { assertOnlyRefusals, markLog, requestsSince } from './request-log.js'

ensureBuilt()

// mcp-remote (devDependency), the stdio bridge Claude Desktop and other stdio-only clients use to reach a
// remote server, driven through the official SDK's StdioClientTransport as such a client would.
const task = await startTask(t)
const sseSessions = () => counter(task, 'mcp_sessions_open', 'transport="sse"')
const WRONG_KEY = 'wrong-secret-0123456789'
/** How long a wrong-key bridge may try before the test gives up on it and stops it. */
const WRONG_KEY_BOUND_MS = 30_000

t.test('mcp-remote bridges stdio to /sse: lists tools and calls whoami as alice', { timeout: 120_000 }, async (t) => {
  const { client, transport } = await startBridge(t, `${task.url}/sse`, ALICE)
  await client.connect(transport)
  const { tools } = await client.listTools()
  t.ok(tools.some((tool) => tool.name === 'whoami'), 'whoami is listed through the bridge')
  t.match(resultJson(await client.callTool({ name: 'whoami', arguments: {} })), { principal: 'alice', sessionId: /^v1\./ }, 'whoami answers as alice')
  // Before connecting, mcp-remote probes GET /sse twice for an OAuth challenge and never reads nor closes
  // those answers: with a good key each is a session of its own until the probe's own timeout (5 s, 10 s)
  // aborts it. What stays is the one session it bridges.
  t.ok(await eventually(async () => (await sseSessions()) === 1, 30_000, 200), 'the bridge settles on one legacy SSE session')

  const pid = transport.pid!
  await client.close()
  t.ok(await eventually(() => !isRunning(pid)), 'closing the client stopped mcp-remote')
  t.ok(await eventually(async () => (await sseSessions()) === 0), 'its session ended with it')
})

t.test('mcp-remote --protocol auto bridges stdio to /mcp on MCP 2026-07-28: lists tools and calls whoami, no session', { timeout: 120_000 }, async (t) => {
  // Counted by the task's metrics: its audit lines are written asynchronously and may arrive late.
  const modernCalls = () => counter(task, 'mcp_modern_requests_total', 'method="tools/call"')
  const before = await modernCalls()
  const { client, transport } = await startBridge(t, `${task.url}/mcp`, ALICE, 'modern-auto')
  await client.connect(transport)
  const { tools } = await client.listTools()
  t.ok(tools.some((tool) => tool.name === 'whoami'), 'whoami is listed through the bridge')
  const identity = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
  t.match(identity, { principal: 'alice', client: { name: String } }, 'whoami answers as alice, naming the client')
  t.equal(identity.sessionId, undefined, 'with no session')
  t.ok(await eventually(async () => (await modernCalls()) > before), 'the call reached the server as a modern request')
  t.equal(await counter(task, 'mcp_sessions_open'), 0, 'no session was opened')
  const pid = transport.pid!
  await client.close()
  t.ok(await eventually(() => !isRunning(pid)), 'closing the client stopped mcp-remote')
})

t.test('mcp-remote with a wrong key does not connect; the server answered only 401 and 404', { timeout: 120_000 }, async (t) => {
  const mark = markLog(task)
  const { client, transport, configDir, log } = await startBridge(t, `${task.url}/sse`, WRONG_KEY)
  const connecting = client.connect(transport).then(
    () => 'connected',
    () => 'failed',
  )
  const pid = transport.pid
  t.type(pid, 'number', 'mcp-remote started')
  const outcome = await Promise.race([connecting, sleep(WRONG_KEY_BOUND_MS).then(() => 'still trying')])
  t.not(outcome, 'connected', `did not connect (${outcome})`)
  if (isRunning(pid!)) process.kill(pid!, 'SIGTERM')

  // Measured with the pinned version: our 401 sends it into OAuth discovery, and our JSON 404 on dynamic
  // client registration ends it with a clear error in its log instead of a sign-in that could never finish.
  t.equal(outcome, 'failed', 'it gave up by itself')
  t.match(log(), /Dynamic Client Registration rejected \(HTTP 404\)/, 'its log says why')
  t.ok(existsSync(join(configDir, 'mcp-remote-v1')), 'its OAuth state went to MCP_REMOTE_CONFIG_DIR, not the home directory')

  await eventually(() => requestsSince(task, mark).some((request) => request.url === '/register'))
  assertOnlyRefusals(t, requestsSince(task, mark), '/sse')
  t.equal(await sseSessions(), 0, 'no session was opened')
  t.notOk(task.child.output.includes(ALICE) || task.child.output.includes(WRONG_KEY), 'no key in the server log')
})
