import { mkdtempSync, writeFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Client } from '@modelcontextprotocol/client'
import { BIG_FILE, neverReading, openUnreadStreamableHttpSession, peakRss, pushLegacySse, pushModern, pushStreamableHttp, readFileCall, type Pusher } from '../../bench/load/never-reading.js'
import { TASK_HEAP } from '../../bench/never-reading.js'
import { rssKiB } from '../../bench/proc.js'
import { ensureBuilt } from '../helpers/build.js'
import { type Tap, bearer, healthDuring, postJson, request } from '../helpers/http.js'
import { YOUNG_GENERATION_ALLOWANCE_MIB } from '../helpers/memory.js'
import { counter, eventually, startTask, type Task } from '../helpers/processes.js'
import { ALICE, BOB, connect, resultJson } from '../helpers/server.js'

ensureBuilt()

const MiB = 1024 * 1024
const PUSH_MS = 6_000
const IN_FLIGHT = 16
/**
 * What the bounds allow: a 1 MiB stream backlog plus the message being written, and 16 requests in flight,
 * each of which holds a 1 MiB file several times over while its answer is built (file, text, JSON, event)
 * until V8 and malloc give it back. Without the bounds the same push grew RSS by 300 MB in 7 s (issue 12).
 * The same bound holds for legacy SSE, whose client reconnects whenever its stream is ended: what grows
 * there is the garbage of answers built for streams already ended, which V8 keeps (large-object space) until
 * its next major GC, and that comes when the old generation reaches its limit, a factor of the live heap
 * that V8 sets from the heap size (4 when the heap may take 2 GiB or more, 1.3 to 2 below). Measured on the
 * task's heap on Node 20: +50 to +110 MiB (legacy SSE the highest), so 128 MiB there. A push this fast also
 * fills the young generation's two semi-spaces, four times larger on Node 24: the bound grows by what they add
 * (2 × (64 − 16) = 96 MiB there; measured +103 to +174 MiB on Node 24.21.0). With the stream and key buffers
 * opened to 1 GiB the legacy SSE push grew +1.28 GiB in 6 s on Node 24, so the bound still fails any
 * regression that holds answers.
 */
const RSS_GROWTH_BOUND_MIB = 128 + YOUNG_GENERATION_ALLOWANCE_MIB
/** A sandbox with one file of exactly the largest size read_file returns (MCP_FILES_MAX_BYTES, 1 MiB). */
function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slow-consumer-'))
  writeFileSync(join(dir, BIG_FILE), 'a'.repeat(MiB))
  writeFileSync(join(dir, 'small.txt'), 'hello')
  return dir
}

const BATCH = 8
const sessionsGauge = (task: Task) => counter(task, 'mcp_sessions_open{')

/** A push whose sockets the test keeps, to close them when it wants to (and when it ends in any case). */
function pusher(t: Tap, task: Task, deadline: number): Pusher & { sockets: Socket[] } {
  const sockets: Socket[] = []
  t.teardown(() => sockets.forEach((socket) => socket.destroy()))
  return { url: task.url, port: task.port, key: ALICE, deadline, keep: (socket) => sockets.push(socket), sockets }
}

/** Another session keeps calling until the deadline; every call must succeed. Resolves to the calls made. */
async function bystander(other: Client, deadline: number): Promise<number> {
  let calls = 0
  while (Date.now() < deadline) {
    const result = await other.callTool({ name: 'read_file', arguments: { path: 'small.txt' } })
    if (result.isError) throw new Error('the other session failed')
    calls++
  }
  return calls
}

t.test('a legacy SSE client that never reads: its stream is ended as it fills; RSS, /health and other sessions hold', async (t) => {
  const task = await startTask(t, { ...TASK_HEAP, MCP_FILES_ROOT: sandbox(), MCP_RATE_LIMIT_PER_MIN: '100000000', LOG_LEVEL: 'warn' })
  const other = await connect(t, task.url, ALICE, 'sse')
  t.equal(resultJson(await other.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
  await other.callTool({ name: 'read_file', arguments: { path: 'big.txt' } }) // warm the path being measured
  const baseline = await sessionsGauge(task)
  const rssBefore = rssKiB(task.child.pid)

  let otherCalls = 0
  const deadline = Date.now() + PUSH_MS
  const attack = pusher(t, task, deadline)
  let push = { streamsEnded: 0, answersQueued: 0 }
  let health: number[] = []
  const peak = await peakRss(task.child.pid, async () => {
    const attacker = pushLegacySse(attack, IN_FLIGHT).then((pushed) => void (push = pushed))
    health = (await healthDuring(task.url, () => Promise.all([attacker, bystander(other, deadline).then((calls) => void (otherCalls = calls))]))).health
  })
  const { streamsEnded, answersQueued } = push

  const growthMiB = (peak - rssBefore) / 1024
  t.comment(`never-reading legacy SSE: ${streamsEnded} streams ended, ${answersQueued} answers of 1 MiB pushed, RSS ${Math.round(rssBefore / 1024)} → peak ${Math.round(peak / 1024)} MiB (+${growthMiB.toFixed(1)} MiB)`)
  t.ok(answersQueued > 20, `the push outran any timer (${answersQueued} × 1 MiB answers)`)
  t.ok(streamsEnded > 0, 'the server ended the never-reading streams (the client had to reconnect)')
  t.ok(growthMiB < RSS_GROWTH_BOUND_MIB, `RSS grew ${growthMiB.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
  t.ok(health.length > 5 && health.every((status) => status === 200), `/health answered 200 throughout (${health.length} checks)`)
  t.ok(otherCalls > 0, `the other session was served throughout (${otherCalls} calls)`)
  t.match(task.child.output, /"event":"slow_consumer","reason":"stream"/, 'the end is logged with its reason')
  // The push may end before the last stream filled up: the client leaving ends that session too.
  for (const socket of attack.sockets) socket.destroy()
  t.ok(await eventually(async () => (await sessionsGauge(task)) === baseline), 'the session gauge returns to its baseline')
  t.equal(resultJson(await other.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the other session still works')
  const fresh = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'a new client is served')
})

/**
 * Our Streamable HTTP transport writes every answer through the same bounded stream as legacy SSE (stream
 * bound, key budget), and a request counts as in flight until its answer is written out or gone: so a
 * never-reading client holds at most the in-flight bound of answers. The push mixes JSON answers (batches of
 * read_file) with event-stream answers (a long_task with progress in the batch) and keeps a GET stream open
 * that is never read either.
 */
t.test('a Streamable HTTP client that never reads its POST answers or its GET stream: answers ended as they fill; RSS, /health and other sessions hold', async (t) => {
  const task = await startTask(t, { ...TASK_HEAP, MCP_FILES_ROOT: sandbox(), MCP_RATE_LIMIT_PER_MIN: '100000000', LOG_LEVEL: 'warn' })
  const other = await connect(t, task.url, BOB, 'streamable-http')
  await other.callTool({ name: 'read_file', arguments: { path: 'big.txt' } }) // warm the path being measured
  const baseline = await sessionsGauge(task)
  const deadline = Date.now() + PUSH_MS
  const attack = pusher(t, task, deadline)
  const headers = await openUnreadStreamableHttpSession(attack)
  const rssBefore = rssKiB(task.child.pid)

  let answers = { json: 0, events: 0, refused: 0, cut: 0 }
  let otherCalls = 0
  let health: number[] = []
  const peak = await peakRss(task.child.pid, async () => {
    const attacker = pushStreamableHttp(attack, headers, 4, BATCH).then((pushed) => void (answers = pushed))
    health = (await healthDuring(task.url, () => Promise.all([attacker, bystander(other, deadline).then((calls) => void (otherCalls = calls))]))).health
  })

  const growthMiB = (peak - rssBefore) / 1024
  const slowConsumers = (task.child.output.match(/"event":"slow_consumer"/g) ?? []).length
  t.comment(`never-reading Streamable HTTP: ${answers.json} JSON and ${answers.events} event-stream answers of ${BATCH - 1} × 1 MiB, ${answers.cut} cut before their head, ${answers.refused} refused (429), ${slowConsumers} answers ended for not reading, RSS ${Math.round(rssBefore / 1024)} → peak ${Math.round(peak / 1024)} MiB (+${growthMiB.toFixed(1)} MiB)`)
  t.ok(answers.json > 0 && answers.events > 0, 'answered both as JSON and as event streams')
  t.ok(answers.refused > 20, `the push went on past the bound on requests in flight (${answers.refused} refused)`)
  t.ok(growthMiB < RSS_GROWTH_BOUND_MIB, `RSS grew ${growthMiB.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
  t.ok(health.length > 5 && health.every((status) => status === 200), `/health answered 200 throughout (${health.length} checks)`)
  t.ok(otherCalls > 0, `the other session was served throughout (${otherCalls} calls)`)
  const { 'content-type': _, ...sessionHeaders } = headers
  t.equal((await request(`${task.url}/mcp`, { method: 'DELETE', headers: sessionHeaders })).status, 200, 'the pushing session ends when asked')
  t.ok(await eventually(async () => (await sessionsGauge(task)) === baseline), 'the session gauge returns to its baseline')
  t.equal(resultJson(await other.callTool({ name: 'whoami', arguments: {} })).principal, 'bob', 'the other session still works')
  // Until they go, the unread answers count against the key's budget (that is what bounds it).
  for (const socket of attack.sockets) socket.destroy()
  const fresh = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'once the stuck client left, a new client of the key is served')
})

/*
 * A modern request has no batch: each answer is one 1 MiB read_file on its own socket, which loopback's socket
 * buffers mostly take whole, so what this push proves is that nothing piles up in the server (the SDK's web
 * stream is read as it comes and written through the bounded stream); the bounds themselves are the tests above.
 */
t.test('MCP 2026-07-28 requests whose answers are never read: RSS, /health and other clients hold, nothing stays in flight', async (t) => {
  const task = await startTask(t, { ...TASK_HEAP, MCP_FILES_ROOT: sandbox(), MCP_RATE_LIMIT_PER_MIN: '100000000', LOG_LEVEL: 'warn' })
  const other = await connect(t, task.url, BOB, 'streamable-http')
  const rssBefore = rssKiB(task.child.pid)
  const deadline = Date.now() + PUSH_MS
  const attack = pusher(t, task, deadline)
  let answers = { answered: 0, refused: 0, cut: 0 }
  let otherCalls = 0
  let health: number[] = []
  const peak = await peakRss(task.child.pid, async () => {
    const attacker = pushModern(attack, IN_FLIGHT).then((pushed) => void (answers = pushed))
    health = (await healthDuring(task.url, () => Promise.all([attacker, bystander(other, deadline).then((calls) => void (otherCalls = calls))]))).health
  })
  const growthMiB = (peak - rssBefore) / 1024
  const slowConsumers = (task.child.output.match(/"event":"slow_consumer"/g) ?? []).length
  t.comment(`never-reading MCP 2026-07-28: ${answers.answered} answers of 1 MiB, ${answers.cut} cut before their head, ${answers.refused} refused (429), ${slowConsumers} answers ended for not reading, RSS ${Math.round(rssBefore / 1024)} → peak ${Math.round(peak / 1024)} MiB (+${growthMiB.toFixed(1)} MiB)`)
  t.ok(answers.answered > 50, `answers were pushed (${answers.answered})`)
  t.ok(growthMiB < RSS_GROWTH_BOUND_MIB, `RSS grew ${growthMiB.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
  t.ok(health.length > 5 && health.every((status) => status === 200), `/health answered 200 throughout (${health.length} checks)`)
  t.ok(otherCalls > 0, `another key's session was served throughout (${otherCalls} calls)`)
  for (const socket of attack.sockets) socket.destroy()
  t.ok(await eventually(async () => (await counter(task, 'mcp_modern_requests_in_flight')) === 0), 'once the client left, nothing is in flight')
  const fresh = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the key is served again')
})

t.test('many never-reading streams of one key are held to the key budget (MCP_MAX_BUFFERED_BYTES_PER_KEY); other keys unaffected', async (t) => {
  const task = await startTask(t, {
    ...TASK_HEAP,
    MCP_FILES_ROOT: sandbox(),
    MCP_RATE_LIMIT_PER_MIN: '100000000',
    LOG_LEVEL: 'warn',
    // Each stream alone could hold 64 MiB: only the key's budget can stop them.
    MCP_MAX_STREAM_BUFFER_BYTES: String(64 * MiB),
    MCP_MAX_BUFFERED_BYTES_PER_KEY: String(4 * MiB),
  })
  const bob = await connect(t, task.url, BOB, 'sse')
  const baseline = await sessionsGauge(task)
  const rssBefore = rssKiB(task.child.pid)
  const streams = 6
  let ended = 0
  const peak = await peakRss(task.child.pid, async () => {
    await Promise.all(
      Array.from({ length: streams }, async () => {
        const stream = `GET /sse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\nAccept: text/event-stream\r\n\r\n`
        const { received } = await neverReading(task.port, stream, '', /sessionId=\S+\n/, (socket) => t.teardown(() => socket.destroy()))
        const messages = `${task.url}/messages?sessionId=${/sessionId=(\S+)\n/.exec(received)![1]}`
        for (let id = 1; id <= 40; id++) {
          const posted = await postJson(messages, readFileCall(id), bearer(ALICE))
          await posted.arrayBuffer()
          if (posted.status === 404) return void ended++
          if (posted.status === 429) await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }),
    )
    const read = await bob.callTool({ name: 'read_file', arguments: { path: 'big.txt' } })
    t.notOk(read.isError, "another key reads the large file meanwhile")
  })
  const growthMiB = (peak - rssBefore) / 1024
  t.comment(`${streams} never-reading streams of one key: ${ended} ended by the key budget, RSS +${growthMiB.toFixed(1)} MiB`)
  t.ok(ended >= streams - 1, `the streams were ended (${ended} of ${streams})`)
  t.match(task.child.output, /"event":"slow_consumer","reason":"key"/, 'by the key budget')
  t.ok(growthMiB < RSS_GROWTH_BOUND_MIB, `RSS grew ${growthMiB.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
  t.ok(await eventually(async () => (await sessionsGauge(task)) === baseline), 'the session gauge returns to its baseline')
  t.equal(resultJson(await bob.callTool({ name: 'whoami', arguments: {} })).principal, 'bob', "another key's session was unaffected")
  const fresh = await connect(t, task.url, ALICE, 'sse')
  t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the key opens sessions again')
})
