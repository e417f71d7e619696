import type { Socket } from 'node:net'
import t from 'tap'
import { pushPaddedCalls } from '../../bench/load/heavy-input.js'
import { ensureBuilt } from '../helpers/build.js'
import { bearer, postJson, request } from '../helpers/http.js'
import { counter, eventually, startTask } from '../helpers/processes.js'
import { ALICE, BOB, connect, resultJson } from '../helpers/server.js'

ensureBuilt()

const GiB = String(1024 * 1024 * 1024)

/*
 * A small heap (128 MiB of old space; an idle task uses about 30) and input budgets opened wide, so that only the heap
 * guard stands between the push and V8's heap limit: long MCP 2026-07-28 calls each holding about 0.7 MiB.
 */
t.test('near its heap limit a task sheds new work (503 + Retry-After, /ready 503, /health 200) and recovers by itself', async (t) => {
  const task = await startTask(t, {
    NODE_OPTIONS: '--max-old-space-size=128',
    MCP_HEAP_SHED_PERCENT: '50',
    MCP_MAX_INPUT_BYTES: GiB,
    MCP_MAX_INPUT_BYTES_PER_KEY: GiB,
    MCP_MAX_IN_FLIGHT_PER_KEY: '10000',
    MCP_RATE_LIMIT_PER_MIN: '100000',
    LOG_LEVEL: 'info',
  })
  const sockets: Socket[] = []
  t.teardown(() => sockets.forEach((socket) => socket.destroy()))
  const pusher = { url: task.url, port: task.port, key: ALICE, deadline: 0, keep: (socket: Socket) => sockets.push(socket) }

  let held = 0
  let shed = 0
  for (let wave = 0; wave < 8 && shed === 0; wave++) {
    const push = await pushPaddedCalls(pusher, 'modern', 1, 20, 9_900)
    held += push.held
    shed = push.statuses[503] ?? 0
    t.same(Object.keys(push.statuses).filter((status) => status !== '503'), [], `wave ${wave}: nothing but 503 refused`)
  }
  t.comment(`${held} calls held before the task shed load`)
  t.ok(shed > 0, 'new work was refused once the heap neared its limit')
  const refused = await postJson(`${task.url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(BOB))
  t.equal(refused.status, 503, 'another key is refused too: the task as a whole is short of memory')
  t.equal(refused.headers.get('retry-after'), '5')
  t.match(await refused.json(), { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Service Unavailable: this task is short of memory; retry shortly' } })
  const ready = await request(`${task.url}/ready`)
  t.equal(ready.status, 503, '/ready says so, so the balancer sends new sessions elsewhere')
  t.match(await ready.json(), { reasons: ['memory pressure'] })
  t.equal((await request(`${task.url}/health`)).status, 200, '/health stays 200: the task is alive')
  t.ok((await counter(task, 'mcp_rate_limited_total', 'reason="memory"')) >= 2, 'counted as reason "memory"')
  t.ok(await eventually(() => task.child.output.includes('"event":"memory_pressure"')), 'and logged')

  for (const socket of sockets) socket.destroy()
  t.ok(await eventually(async () => (await request(`${task.url}/ready`)).status === 200, 30_000, 250), 'once the calls are gone the task is ready again by itself')
  t.ok(await eventually(() => task.child.output.includes('"event":"memory_recovered"')), 'the recovery is logged')
  t.ok(task.child.running, 'the task never died')
  const client = await connect(t, task.url, BOB, 'streamable-http')
  t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'bob', 'new work is served again')
})
