import { connect as tcpConnect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import t from 'tap'
import { ensureBuilt } from '../helpers/build.js'
import { INITIALIZE, bearer, postJson } from '../helpers/http.js'
import { counter, eventually, startRedis, startTask, type Task } from '../helpers/processes.js'
import { ALICE, TRANSPORTS, connect, resultJson } from '../helpers/server.js'

ensureBuilt()

const PER_KEY = 5
const PAUSE_MS = 3_000
const PER_KIND = 20
/** The client leaves this long after sending: while the rate-limit round trip to the paused Redis hangs. */
const ABORT_AFTER_MS = 50

const sessionsGauge = (task: Task) => counter(task, 'mcp_sessions_open{')

/** Sends a raw request and drops the socket before any answer can come (the handler has not run yet). */
async function aborted(task: Task, request: string): Promise<void> {
  const socket = tcpConnect(task.port, '127.0.0.1')
  socket.on('error', () => {})
  socket.write(request)
  await sleep(ABORT_AFTER_MS)
  socket.destroy()
}

t.test('aborted GET /sse, initialize and GET /mcp while Redis hangs: no session outlives its client', async (t) => {
  const redis = await startRedis(t)
  const task = await startTask(t, {
    REDIS_URL: redis.url,
    MCP_MAX_SESSIONS_PER_KEY: String(PER_KEY),
    MCP_SESSION_IDLE_MS: '1500',
    MCP_HEARTBEAT_MS: '250',
  })
  t.ok(await eventually(async () => (await fetch(`${task.url}/ready`)).status === 200), 'ready with Redis')
  const baseline = await sessionsGauge(task)

  // An idle Streamable HTTP session, the target of the aborted GET /mcp streams.
  const initialized = await postJson(`${task.url}/mcp`, INITIALIZE, bearer(ALICE))
  await initialized.text()
  const sessionId = initialized.headers.get('mcp-session-id')!
  const initBody = JSON.stringify(INITIALIZE)
  const kinds = {
    'GET /sse': `GET /sse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\nAccept: text/event-stream\r\n\r\n`,
    'POST /mcp initialize': `POST /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${initBody.length}\r\n\r\n${initBody}`,
    'GET /mcp': `GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\nAccept: text/event-stream\r\nMcp-Session-Id: ${sessionId}\r\nMcp-Protocol-Version: 2025-03-26\r\n\r\n`,
  }

  const control = new Redis(redis.url)
  t.teardown(() => control.disconnect())
  await control.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL')
  await Promise.all(Object.values(kinds).flatMap((request) => Array.from({ length: PER_KIND }, () => aborted(task, request))))

  // Once Redis answers again (our PING waits out the pause too), every held request reaches its handler
  // with its client gone.
  await control.ping()
  t.ok(await eventually(async () => (await sessionsGauge(task)) === baseline, 10_000), 'the open-session gauge returns to its baseline')
  t.equal(await sessionsGauge(task), baseline, `${baseline} session(s) open after ${3 * PER_KIND} aborted requests`)
  t.ok(task.child.running, 'the server did not crash')

  const clients = await Promise.all(Array.from({ length: PER_KEY }, (_, index) => connect(t, task.url, ALICE, TRANSPORTS[index % 2])))
  for (const client of clients) t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
  t.pass(`the key opens its full ${PER_KEY} sessions again`)
  await Promise.all(clients.map((client) => client.close()))
})
