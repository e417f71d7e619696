import { connect as tcpConnect } from 'node:net'
import t from 'tap'
import { ALICE, connect, resultJson, startServer, type TestServer } from '../helpers/server.js'
import { eventually } from '../helpers/processes.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { EventStream, PING, bearer, expectError, initializeRaw, nothingLeaked, openSse, postJson, request, stillServes } from '../helpers/http.js'

/** The open-sessions gauge as /metrics reports it, summed over transports. */
async function sessionsGauge(server: TestServer): Promise<number> {
  const text = await (await request(`${server.url}/metrics`)).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith('mcp_sessions_open{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0)
}

const IDLE = { MCP_SESSION_IDLE_MS: '1000', MCP_HEARTBEAT_MS: '100' }

t.test('an idle Streamable HTTP session with no open stream is reaped; its next request gets 404', async (t) => {
  const server = await startServer(t, IDLE)
  const { headers } = await initializeRaw(server)
  t.equal(server.app.sessions.size, 1)
  t.ok(await eventually(() => server.app.sessions.size === 0), 'reaped')
  t.match(server.logs.text, /"event":"session_reaped"/, 'the reaping is logged')
  await expectError(t, await postJson(`${server.url}/mcp`, PING, headers), 404, -32001)
  t.equal(await sessionsGauge(server), 0, 'the gauge follows')
  await stillServes(t, server)
})

t.test('a session with an open stream is never idle: an SSE session outlives the idle limit', async (t) => {
  const server = await startServer(t, IDLE)
  const sse = await openSse(t, server)
  await initializeRaw(server)
  t.ok(await eventually(() => server.app.sessions.size === 1), 'the streamless session was reaped')
  t.equal((await postJson(`${server.url}/messages?sessionId=${sse.sessionId}`, PING, bearer(ALICE))).status, 202, 'the SSE session is still there')
  await sse.stream.waitFor(/"id":2/)
})

t.test('idle time counts from the last activity, and a stream closing is activity', async (t) => {
  const idleMs = 3_000
  const server = await startServer(t, { MCP_SESSION_IDLE_MS: String(idleMs), MCP_HEARTBEAT_MS: '100' })
  const { headers } = await initializeRaw(server)
  const stream = await EventStream.open(t, `${server.url}/mcp`, headers)
  t.equal(stream.response.status, 200, 'the GET stream is open')
  await sleep(idleMs + 500) // longer than the idle limit with no request: the open stream keeps the session
  t.equal(server.app.sessions.size, 1, 'a session with an open stream is not idle')
  stream.close()
  await sleep(300) // several sweeps: counting from the last request, the session would be reaped now
  t.equal(server.app.sessions.size, 1, 'right after its stream closed the session is still there')
  t.ok(await eventually(() => server.app.sessions.size === 0, idleMs + 5_000), 'and is reaped once idle for the limit after that')
  await expectError(t, await postJson(`${server.url}/mcp`, PING, headers), 404, -32001)
  t.equal(await sessionsGauge(server), 0, 'the gauge follows')
  await stillServes(t, server)
})

t.test('an SDK client that closes without DELETE (as the Inspector does) is freed by reaping', async (t) => {
  const server = await startServer(t, IDLE)
  const client = await connect(t, server.url, ALICE, 'streamable-http')
  await client.callTool({ name: 'whoami', arguments: {} })
  await client.close()
  t.ok(await eventually(() => server.app.sessions.size === 0), 'reaped after its GET stream closed')
  await nothingLeaked(t, server)
})

t.test('an SSE client that disconnects frees its session at once', async (t) => {
  const server = await startServer(t)
  const client = await connect(t, server.url, ALICE, 'sse')
  const { sessionId } = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
  t.equal(server.app.sessions.size, 1)
  t.equal(await sessionsGauge(server), 1)
  await client.close()
  await nothingLeaked(t, server)
  t.equal(await sessionsGauge(server), 0, 'the gauge follows')
  const closed = server.logs.records().find((record) => record.event === 'session_closed')
  t.match(closed, { session: sessionId, principal: 'alice', transport: 'sse' }, 'the close is logged')
  await expectError(t, await postJson(`${server.url}/messages?sessionId=${sessionId}`, PING, bearer(ALICE)), 404, -32001)
})

t.test('an SSE client that never reads has its stream dropped and its session cleaned up', async (t) => {
  const server = await startServer(t, { MCP_MAX_STREAM_BUFFER_BYTES: '1024', MCP_HEARTBEAT_MS: '100' })
  const { hostname, port } = new URL(server.url)
  const socket = tcpConnect(Number(port), hostname)
  t.teardown(() => socket.destroy())
  socket.write(`GET /sse HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${ALICE}\r\nAccept: text/event-stream\r\n\r\n`)
  let received = ''
  const sessionId = await new Promise<string>((resolve) =>
    socket.on('data', (chunk) => {
      received += chunk
      const match = /sessionId=(\S+)/.exec(received)
      if (match) resolve(match[1])
    }),
  )
  // From here on the client reads nothing; the kernel buffers fill and then the server's write buffer grows.
  socket.pause()
  const bigId = 'x'.repeat(512 * 1024)
  for (let sent = 0; sent < 100 && server.app.sessions.size > 0; sent++) {
    const posted = await postJson(`${server.url}/messages?sessionId=${sessionId}`, { ...PING, id: bigId }, bearer(ALICE))
    if (posted.status !== 202) break
  }
  await nothingLeaked(t, server)
  t.match(server.logs.text, /"event":"slow_consumer"/, 'the drop is logged')
  await stillServes(t, server)
})
