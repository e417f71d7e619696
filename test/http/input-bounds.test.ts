import type { Socket } from 'node:net'
import t from 'tap'
import { pushPaddedCalls, pushSlowUploads, type InputEra } from '../../bench/load/heavy-input.js'
import { peakRss, type Pusher } from '../../bench/load/never-reading.js'
import { TASK_HEAP } from '../../bench/never-reading.js'
import { rssKiB } from '../../bench/proc.js'
import { ensureBuilt } from '../helpers/build.js'
import { type Tap, bearer, healthDuring, postJson } from '../helpers/http.js'
import { YOUNG_GENERATION_ALLOWANCE_MIB } from '../helpers/memory.js'
import { counter, eventually, startTask, type Task } from '../helpers/processes.js'
import { ALICE, BOB, connect, resultJson } from '../helpers/server.js'

ensureBuilt()

const MiB = 1024 * 1024
/**
 * What one key can hold on the way in, by default: 16 MiB of parsed input (MCP_MAX_INPUT_BYTES_PER_KEY) and
 * the heap of its requests in flight. Without the bounds, 20 long calls carrying 1 MiB of `{}` took the heap
 * from 24 to 410 MiB and 300 slow uploads took RSS from 92 to 390 MiB; 64 MiB fails either on Node 20's young
 * generation. Node 24's, four times larger, leaves more of the push's garbage between scavenges (the uploads grew
 * RSS by +36 to +38 MiB in the benchmark, once by +66.5 MiB in a CI run), so the bound grows by what it adds
 * (160 MiB on Node 24), which still fails either regression.
 */
const RSS_GROWTH_BOUND_MIB = 64 + YOUNG_GENERATION_ALLOWANCE_MIB
const ERAS: InputEra[] = ['streamable-http', 'sse', 'modern']
/** Empty objects in each padded call: under the cap of 20 000 values (objects and commas), 0.8 MiB of input each. */
const OBJECTS = 9_900

function pusher(t: Tap, task: Task): Pusher & { sockets: Socket[] } {
  const sockets: Socket[] = []
  t.teardown(() => sockets.forEach((socket) => socket.destroy()))
  return { url: task.url, port: task.port, key: ALICE, deadline: 0, keep: (socket) => sockets.push(socket), sockets }
}

/** Another key is served (a fresh SDK session), and once the pushing client left nothing stays held. */
async function othersServedAndNothingHeld(t: Tap, task: Task, sockets: Socket[]) {
  const bob = await connect(t, task.url, BOB, 'streamable-http')
  t.equal(resultJson(await bob.callTool({ name: 'whoami', arguments: {} })).principal, 'bob', 'another key is served')
  for (const socket of sockets) socket.destroy()
  t.ok(await eventually(async () => (await counter(task, 'mcp_input_bytes ')) === 0, 15_000), 'once the client left, no input is held (mcp_input_bytes 0)')
  const alice = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await alice.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the key is served again')
}

for (const era of ERAS) {
  t.test(`${era}: long calls of one key carrying 1 MiB of {} in _meta are refused (413); the task holds`, async (t) => {
    const task = await startTask(t, { ...TASK_HEAP, MCP_RATE_LIMIT_PER_MIN: '100000', LOG_LEVEL: 'warn' })
    const push = pusher(t, task)
    const rssBefore = rssKiB(task.child.pid)
    let outcome = { held: 0, statuses: {} as Record<number, number> }
    const peak = await peakRss(task.child.pid, async () => {
      outcome = await pushPaddedCalls(push, era, 3, 10, 349_000)
    })
    const growth = (peak - rssBefore) / 1024
    t.comment(`${era}, 30 calls with 1 MiB of {}: ${JSON.stringify(outcome)}, RSS +${growth.toFixed(1)} MiB`)
    t.equal(outcome.held, 0, 'no call was taken')
    t.ok(outcome.statuses[413] > 0, `refused with 413 once read (${outcome.statuses[413]})`)
    t.equal((outcome.statuses[413] ?? 0) + (outcome.statuses[429] ?? 0), 30, 'the others with 429 before their bodies were read (the key input budget)')
    const answer = await postJson(`${task.url}/mcp`, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"p":[${'{},'.repeat(20_000)}{}]}}`, bearer(ALICE))
    t.equal(answer.status, 413)
    t.match(await answer.json(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Payload Too Large: the JSON holds more than 20000 values' } })
    t.ok(growth < RSS_GROWTH_BOUND_MIB, `RSS grew ${growth.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
    await othersServedAndNothingHeld(t, task, push.sockets)
  })

  t.test(`${era}: long calls of one key each holding 0.8 MiB of input stop at the key's input budget (429); RSS, /health and other keys hold`, async (t) => {
    const task = await startTask(t, { ...TASK_HEAP, MCP_RATE_LIMIT_PER_MIN: '100000', LOG_LEVEL: 'warn' })
    const push = pusher(t, task)
    const rssBefore = rssKiB(task.child.pid)
    let outcome = { held: 0, statuses: {} as Record<number, number> }
    let health: number[] = []
    const peak = await peakRss(task.child.pid, async () => {
      ;({ result: outcome, health } = await healthDuring(task.url, () => pushPaddedCalls(push, era, 3, 10, OBJECTS)))
    })
    const growth = (peak - rssBefore) / 1024
    t.comment(`${era}, 30 calls of ${OBJECTS} {}: ${JSON.stringify(outcome)}, RSS ${Math.round(rssBefore / 1024)} → ${Math.round(peak / 1024)} MiB (+${growth.toFixed(1)} MiB)`)
    t.ok(outcome.held >= 15 && outcome.held <= 22, `the key's budget held ${outcome.held} calls (16 MiB at about 0.8 MiB each)`)
    t.equal(outcome.statuses[429], 30 - outcome.held, 'every other call was refused with 429')
    t.ok(growth < RSS_GROWTH_BOUND_MIB, `RSS grew ${growth.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
    t.ok(health.length > 0 && health.every((status) => status === 200), `/health answered 200 throughout (${health.length} checks)`)
    t.ok((await counter(task, 'mcp_rate_limited_total', 'key_input_bytes')) >= 1, 'counted as key_input_bytes')
    await othersServedAndNothingHeld(t, task, push.sockets)
  })
}

t.test('300 slow uploads of one key (1 MiB less 10 bytes each) stop at the key input budget (429); RSS, /health and other keys hold', async (t) => {
  const task = await startTask(t, { ...TASK_HEAP, MCP_RATE_LIMIT_PER_MIN: '100000', LOG_LEVEL: 'warn' })
  const push = pusher(t, task)
  await connect(t, task.url, BOB, 'streamable-http') // the other key's session, opened before
  const rssBefore = rssKiB(task.child.pid)
  let outcome = { held: 0, statuses: {} as Record<number, number> }
  let health: number[] = []
  const peak = await peakRss(task.child.pid, async () => {
    ;({ result: outcome, health } = await healthDuring(task.url, () => pushSlowUploads(push, 300, MiB)))
  })
  const growth = (peak - rssBefore) / 1024
  t.comment(`300 slow uploads of 1 MiB: ${JSON.stringify(outcome)}, RSS ${Math.round(rssBefore / 1024)} → ${Math.round(peak / 1024)} MiB (+${growth.toFixed(1)} MiB)`)
  t.equal(outcome.held, 16, 'the key budget (16 MiB) holds 16 uploads of 1 MiB')
  // Refused before its body is read, an upload's connection is closed after the 429; a client still sending
  // may see the close (a reset, -1 here) before it reads the answer.
  t.equal((outcome.statuses[429] ?? 0) + (outcome.statuses[-1] ?? 0), 284, 'the rest are refused before their bodies are read')
  t.ok(outcome.statuses[429] > 250, `most of them read their 429 (${outcome.statuses[429]})`)
  t.ok(growth < RSS_GROWTH_BOUND_MIB, `RSS grew ${growth.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
  t.ok(health.length > 0 && health.every((status) => status === 200), `/health answered 200 throughout (${health.length} checks)`)
  const bob = await connect(t, task.url, BOB, 'sse')
  t.equal(resultJson(await bob.callTool({ name: 'whoami', arguments: {} })).principal, 'bob', 'another key is served')
  for (const socket of push.sockets) socket.destroy()
  t.ok(await eventually(async () => (await counter(task, 'mcp_input_bytes ')) === 0, 15_000), 'once the uploads left, no input is held')
  const alice = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await alice.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the key is served again')
})
