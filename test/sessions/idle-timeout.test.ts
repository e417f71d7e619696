import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { ALICE, TRANSPORTS, connect, resultJson } from '../helpers/server.js'
import { startHaproxy, startTask } from '../helpers/processes.js'

// The balancer cuts connections idle for 1.5 s (the ALB's idle timeout, scaled down); clients then sit
// idle for 4 s. Heartbeats under the timeout keep their streams; without them the streams are cut.
const IDLE_TIMEOUT_MS = 1_500
const IDLE_FOR_MS = 4_000

for (const transport of TRANSPORTS) {
  t.test(`${transport}: heartbeats keep an idle stream alive through the balancer's idle timeout`, async (t) => {
    const task = await startTask(t, { MCP_HEARTBEAT_MS: '400' })
    const alb = await startHaproxy(t, [task], { idleTimeoutMs: IDLE_TIMEOUT_MS })
    const client = await connect(t, alb.url, ALICE, transport)
    let ended = false
    client.onerror = () => (ended = true)
    client.onclose = () => (ended = true)
    const before = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
    await sleep(IDLE_FOR_MS)
    t.notOk(ended, 'the stream was not cut')
    const after = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
    t.equal(after.sessionId, before.sessionId, 'the same session still answers')
  })

  t.test(`${transport}: control — with the heartbeat above the idle timeout the stream is cut`, async (t) => {
    const task = await startTask(t, { MCP_HEARTBEAT_MS: '60000' })
    const alb = await startHaproxy(t, [task], { idleTimeoutMs: IDLE_TIMEOUT_MS })
    const client = await connect(t, alb.url, ALICE, transport)
    let ended = false
    client.onerror = () => (ended = true)
    client.onclose = () => (ended = true)
    await client.callTool({ name: 'whoami', arguments: {} })
    await sleep(IDLE_FOR_MS)
    t.ok(ended, 'the balancer cut the idle stream')
  })
}
