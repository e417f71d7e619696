import { mkdtempSync, writeFileSync } from 'node:fs'
import { connect as tcpConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { rssKiB } from '../../bench/proc.js'
import { ensureBuilt } from '../helpers/build.js'
import { type Tap, INITIALIZE, bearer, postJson, request } from '../helpers/http.js'
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
 */
const RSS_GROWTH_BOUND_MIB = 96

/** A sandbox with one file of exactly the largest size read_file returns (MCP_FILES_MAX_BYTES, 1 MiB). */
function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slow-consumer-'))
  writeFileSync(join(dir, 'big.txt'), 'a'.repeat(MiB))
  writeFileSync(join(dir, 'small.txt'), 'hello')
  return dir
}

const BATCH = 8
const readFile = (id: number, path = 'big.txt') => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'read_file', arguments: { path } } })

const sessionsGauge = (task: Task) => counter(task, 'mcp_sessions_open{')

/** A raw HTTP request on its own socket that, once the answer's head arrived, reads nothing more. */
function neverReading(t: Tap, task: Task, head: string, body = '', until: RegExp = /\r\n\r\n/): Promise<{ socket: Socket; received: string }> {
  const socket = tcpConnect(task.port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.write(head + body)
  return new Promise((resolve, reject) => {
    let received = ''
    const timer = setTimeout(() => reject(new Error(`no ${until} within 10 s: ${received.slice(0, 200)}`)), 10_000)
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      received += chunk
      if (!until.test(received)) return
      clearTimeout(timer)
      socket.pause()
      resolve({ socket, received })
    })
  })
}

/** RSS sampled every 50 ms while `work` runs; the highest value in KiB. */
async function peakRss(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rssKiB(pid)
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 50)
  try {
    await work()
  } finally {
    clearInterval(sampler)
  }
  return Math.max(peak, rssKiB(pid))
}

/** While `work` runs, /health is asked every 100 ms; the statuses it answered (a hang fails the bounded fetch). */
async function healthDuring(task: Task, work: () => Promise<void>): Promise<number[]> {
  const statuses: number[] = []
  let done = false
  const poller = (async () => {
    while (!done) {
      statuses.push((await request(`${task.url}/health`)).status)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  await work()
  done = true
  await poller
  return statuses
}

t.test('a legacy SSE client that never reads: its stream is ended as it fills; RSS, /health and other sessions hold', async (t) => {
  const task = await startTask(t, { MCP_FILES_ROOT: sandbox(), MCP_RATE_LIMIT_PER_MIN: '100000000', LOG_LEVEL: 'warn' })
  const other = await connect(t, task.url, ALICE, 'sse')
  t.equal(resultJson(await other.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
  await other.callTool({ name: 'read_file', arguments: { path: 'big.txt' } }) // warm the path being measured
  const baseline = await sessionsGauge(task)
  const rssBefore = rssKiB(task.child.pid)

  let streamsOpened = 0
  let answersQueued = 0
  let otherCalls = 0
  const deadline = Date.now() + PUSH_MS
  /** Opens a never-reading stream and pushes read_file calls at it until the server ends it; again until the deadline. */
  const attacker = async () => {
    while (Date.now() < deadline) {
      const { received } = await neverReading(t, task, `GET /sse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\nAccept: text/event-stream\r\n\r\n`, '', /sessionId=\S+\n/)
      const messages = `${task.url}/messages?sessionId=${/sessionId=(\S+)\n/.exec(received)![1]}`
      streamsOpened++
      let ended = false
      let id = 0
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (!ended && Date.now() < deadline) {
            const posted = await postJson(messages, readFile(++id), bearer(ALICE))
            await posted.arrayBuffer()
            if (posted.status === 202) answersQueued++
            else if (posted.status === 404) ended = true
            else if (posted.status !== 429) throw new Error(`unexpected ${posted.status}`)
          }
        }),
      )
    }
  }
  /** The other session keeps calling throughout; every call must succeed. */
  const bystander = async () => {
    while (Date.now() < deadline) {
      const result = await other.callTool({ name: 'read_file', arguments: { path: 'small.txt' } })
      if (result.isError) throw new Error('the other session failed')
      otherCalls++
    }
  }
  let health: number[] = []
  const peak = await peakRss(task.child.pid, async () => {
    health = await healthDuring(task, () => Promise.all([attacker(), bystander()]).then(() => {}))
  })

  const growthMiB = (peak - rssBefore) / 1024
  t.comment(`never-reading legacy SSE: ${streamsOpened} streams ended, ${answersQueued} answers of 1 MiB pushed, RSS ${Math.round(rssBefore / 1024)} → peak ${Math.round(peak / 1024)} MiB (+${growthMiB.toFixed(1)} MiB)`)
  t.ok(answersQueued > 20, `the push outran any timer (${answersQueued} × 1 MiB answers)`)
  t.ok(streamsOpened > 1, 'the server ended the never-reading streams (the client had to reconnect)')
  t.ok(growthMiB < RSS_GROWTH_BOUND_MIB, `RSS grew ${growthMiB.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
  t.ok(health.length > 5 && health.every((status) => status === 200), `/health answered 200 throughout (${health.length} checks)`)
  t.ok(otherCalls > 0, `the other session was served throughout (${otherCalls} calls)`)
  t.match(task.child.output, /"event":"slow_consumer","reason":"stream"/, 'the end is logged with its reason')
  t.ok(await eventually(async () => (await sessionsGauge(task)) === baseline), 'the session gauge returns to its baseline')
  t.equal(resultJson(await other.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the other session still works')
  const fresh = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'a new client is served')
})

/**
 * The SDK queues a POST's answers inside a web ReadableStream that no write of ours sees; until our own
 * transport replaces it, what bounds a client that never reads is the requests in flight per session: a
 * request counts until its answer stream closes. Batches of 8 answers of 1 MiB outgrow the kernel's socket
 * buffers, so the answers really wait in the server.
 */
t.test('Streamable HTTP POSTs never read: held to the requests in flight per session, 429 beyond', async (t) => {
  const task = await startTask(t, { MCP_FILES_ROOT: sandbox(), MCP_RATE_LIMIT_PER_MIN: '100000000', LOG_LEVEL: 'warn', MCP_MAX_IN_FLIGHT_PER_SESSION: String(IN_FLIGHT) })
  const initialized = await postJson(`${task.url}/mcp`, INITIALIZE, bearer(ALICE))
  await initialized.text()
  const sessionId = initialized.headers.get('mcp-session-id')!
  const headers = { ...bearer(ALICE), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-03-26' }
  const head = (body: string) =>
    `POST /mcp HTTP/1.1\r\nHost: x\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}content-length: ${Buffer.byteLength(body)}\r\n\r\n`
  const rssBefore = rssKiB(task.child.pid)
  let held = 0
  let refused = 0
  const peak = await peakRss(task.child.pid, async () => {
    const deadline = Date.now() + 3_000
    for (let id = 1; Date.now() < deadline && held + refused < 50; id += BATCH) {
      const body = JSON.stringify(Array.from({ length: BATCH }, (_, index) => readFile(id + index)))
      const { received } = await neverReading(t, task, head(body), body, /^HTTP\/1\.1 \d{3}/)
      if (received.startsWith('HTTP/1.1 200')) held++
      else if (received.startsWith('HTTP/1.1 429')) refused++
      else throw new Error(`unexpected answer ${received.slice(0, 40)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  })
  const growthMiB = (peak - rssBefore) / 1024
  t.comment(`never-reading Streamable HTTP: ${held} batches of ${BATCH} held, ${refused} refused with 429, RSS +${growthMiB.toFixed(1)} MiB`)
  t.equal(held, IN_FLIGHT / BATCH, 'exactly the bound of requests in flight is held')
  t.ok(refused > 0, 'further requests are refused')
  t.ok(growthMiB < RSS_GROWTH_BOUND_MIB, `RSS grew ${growthMiB.toFixed(1)} MiB, within ${RSS_GROWTH_BOUND_MIB} MiB`)
  t.equal((await request(`${task.url}/health`)).status, 200, '/health answers')
  const fresh = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'another session of the key is served')
})

t.test('many never-reading streams of one key are held to the key budget (MCP_MAX_BUFFERED_BYTES_PER_KEY); other keys unaffected', async (t) => {
  const task = await startTask(t, {
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
        const { received } = await neverReading(t, task, `GET /sse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\nAccept: text/event-stream\r\n\r\n`, '', /sessionId=\S+\n/)
        const messages = `${task.url}/messages?sessionId=${/sessionId=(\S+)\n/.exec(received)![1]}`
        for (let id = 1; id <= 40; id++) {
          const posted = await postJson(messages, readFile(id), bearer(ALICE))
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
