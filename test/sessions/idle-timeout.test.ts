import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { ALICE, TRANSPORTS, connect, resultJson, type TransportName } from '../helpers/server.js'
import type { Tap } from '../helpers/http.js'
import { startHaproxy, startTask } from '../helpers/processes.js'

// The balancer cuts connections idle for 1.5 s (the ALB's idle timeout, scaled down); clients then sit
// idle for 4 s. Heartbeats under the timeout keep their streams; without them the streams are cut.
const IDLE_TIMEOUT_MS = 1_500
const IDLE_FOR_MS = 4_000

/** One task behind the balancer, a client that made one call and then sat idle; did its stream end? */
async function idleClient(t: Tap, transport: TransportName, heartbeatMs: number) {
  const task = await startTask(t, { MCP_HEARTBEAT_MS: String(heartbeatMs) })
  const alb = await startHaproxy(t, [task], { idleTimeoutMs: IDLE_TIMEOUT_MS })
  const client = await connect(t, alb.url, ALICE, transport)
  let ended = false
  client.onerror = () => (ended = true)
  client.onclose = () => (ended = true)
  const before = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
  await sleep(IDLE_FOR_MS)
  return { client, sessionId: before.sessionId as string, ended }
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: heartbeats keep an idle stream alive through the balancer's idle timeout`, async (t) => {
    const { client, sessionId, ended } = await idleClient(t, transport, 400)
    t.notOk(ended, 'the stream was not cut')
    const after = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
    t.equal(after.sessionId, sessionId, 'the same session still answers')
  })

  t.test(`${transport}: control — with the heartbeat above the idle timeout the stream is cut`, async (t) => {
    const { ended } = await idleClient(t, transport, 60_000)
    t.ok(ended, 'the balancer cut the idle stream')
  })
}
