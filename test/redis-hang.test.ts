import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Redis } from 'ioredis'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { ALICE, BOB, connect, resultJson } from './helpers/server.js'
import { counter, eventually, startRedis, startTask } from './helpers/processes.js'
import { INITIALIZE, PING, bearer, postJson, request } from './helpers/http.js'
import { ensureBuilt } from './helpers/build.js'
import { resourceText } from './mcp/helpers.js'

ensureBuilt()

const TIMEOUT_MS = 300
/** The bound: no request waits longer than the Redis timeout plus 250 ms while Redis hangs. */
const BOUND_MS = TIMEOUT_MS + 250
const PAUSE_MS = 6_000
const PROFILE = { name: 'Ada', email: 'ada@example.com', age: 36 }
/**
 * Rounds during the pause at most, each followed by a short rest: a round is 7 keyed requests, and unbounded
 * rounds on a quiet machine (149 in 4.5 s, 1 043 requests) reached the key's rate limit of 1 200 a minute.
 */
const MAX_ROUNDS = 80
const REST_BETWEEN_ROUNDS_MS = 20

const readiness = async (url: string) => {
  const response = await request(`${url}/ready`)
  return { status: response.status, body: (await response.json()) as { reasons?: string[] } }
}

t.test(`Redis paused (CLIENT PAUSE ALL): no request waits past ${BOUND_MS} ms, readiness 503, all returns after`, async (t) => {
  const redis = await startRedis(t)
  const task = await startTask(t, { REDIS_URL: redis.url, MCP_REDIS_TIMEOUT_MS: String(TIMEOUT_MS) })
  t.ok(await eventually(async () => (await readiness(task.url)).status === 200), 'ready once Redis answers')
  const streamable = await connect(t, task.url, ALICE, 'streamable-http')
  const sse = await connect(t, task.url, ALICE, 'sse')
  const created = await streamable.callTool({ name: 'create_user_profile', arguments: PROFILE })
  t.notOk(created.isError, 'profiles are stored in Redis')
  const uri = `users://${(created.structuredContent as { id: string }).id}/profile`
  const sessionsBefore = await counter(task, 'mcp_sessions_open')

  // Every kind of request a client makes, timed one by one; each checks its own answer too.
  const timings: { what: string; ms: number }[] = []
  const timed = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    try {
      return await run()
    } finally {
      timings.push({ what, ms: performance.now() - started })
    }
  }
  const problems: string[] = []
  const expect = (ok: boolean, what: string) => {
    if (!ok && !problems.includes(what)) problems.push(what)
  }
  let sawNotReady = false
  const round = async () => {
    expect((await timed('tools/list (streamable http)', () => streamable.listTools())).tools.length > 0, 'tools/list answered')
    expect((await timed('tools/list (sse)', () => sse.listTools())).tools.length > 0, 'tools/list over SSE answered')
    const profile = await timed('create_user_profile', () => streamable.callTool({ name: 'create_user_profile', arguments: PROFILE }))
    expect(profile.isError === true && /Shared state \(Redis\) is unreachable/.test(JSON.stringify(profile.content)), 'the profile tool answers its clear error')
    const read = await timed('resources/read profile', () => sse.readResource({ uri }).then(() => 'read', (error: Error) => error.message))
    expect(/Shared state \(Redis\) is unreachable/.test(read), 'the profile resource answers its clear error')
    expect((await timed('GET /health', () => request(`${task.url}/health`))).status === 200, '/health is 200')
    const ready = await timed('GET /ready', () => readiness(task.url))
    if (ready.status === 503 && ready.body.reasons?.includes(`redis not answering within ${TIMEOUT_MS} ms`)) sawNotReady = true
    const initialize = await timed('initialize (new session)', () => postJson(`${task.url}/mcp`, INITIALIZE, bearer(ALICE)))
    expect(initialize.status === 200, 'a new session opens')
    await initialize.text()
    const sessionId = initialize.headers.get('mcp-session-id')
    if (sessionId) await request(`${task.url}/mcp`, { method: 'DELETE', headers: { ...bearer(ALICE), 'mcp-session-id': sessionId } })
  }

  const admin = new Redis(redis.url, { lazyConnect: true })
  await admin.connect()
  await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL')
  const pausedUntil = Date.now() + PAUSE_MS
  admin.disconnect()
  // Rounds until shortly before the pause ends, so every one of them runs against a hung Redis.
  let rounds = 0
  while (Date.now() + 1_500 < pausedUntil && rounds < MAX_ROUNDS) {
    await round()
    rounds++
    await sleep(REST_BETWEEN_ROUNDS_MS)
  }
  const slowest = timings.reduce((worst, timing) => (timing.ms > worst.ms ? timing : worst))
  t.comment(`${rounds} rounds, ${timings.length} requests during the pause; slowest: ${slowest.what} ${slowest.ms.toFixed(0)} ms`)
  t.ok(rounds >= 2, 'several rounds ran during the pause')
  t.same(problems, [], 'every request got its proper answer during the pause')
  t.ok(slowest.ms <= BOUND_MS, `the slowest request (${slowest.what}, ${slowest.ms.toFixed(0)} ms) waited at most ${BOUND_MS} ms`)
  t.ok(sawNotReady, `/ready said 503 "redis not answering within ${TIMEOUT_MS} ms" during the pause`)

  t.ok(await eventually(async () => (await readiness(task.url)).status === 200, 15_000), '/ready returns to 200 when Redis answers again')
  t.ok(
    await eventually(async () => !(await streamable.callTool({ name: 'create_user_profile', arguments: PROFILE })).isError, 5_000),
    'the profile tool works again',
  )
  t.match(JSON.parse(resourceText(await sse.readResource({ uri }))), PROFILE, 'the profile stored before the pause reads back')
  const fresh = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'a new client is served')
  await (fresh.transport as StreamableHTTPClientTransport).terminateSession()
  t.ok(await eventually(async () => (await counter(task, 'mcp_sessions_open')) === sessionsBefore), 'no session was left behind')
  t.ok(task.child.running, 'the server never stopped')
  t.match(task.child.output, /"event":"redis_hanging"/, 'the hang is logged')
  t.match(task.child.output, /"event":"redis_answering"/, 'and its end')
})

t.test('Redis paused: the key rate limit still holds, counted in memory on the task (429 past the limit, valid keys of others served)', async (t) => {
  const redis = await startRedis(t)
  const limit = 5
  const task = await startTask(t, { REDIS_URL: redis.url, MCP_REDIS_TIMEOUT_MS: String(TIMEOUT_MS), MCP_RATE_LIMIT_PER_MIN: String(limit) })
  t.ok(await eventually(async () => (await readiness(task.url)).status === 200), 'ready once Redis answers')
  const admin = new Redis(redis.url, { lazyConnect: true })
  await admin.connect()
  await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL')
  admin.disconnect()
  const statuses: number[] = []
  for (let i = 0; i <= limit; i++) {
    const response = await postJson(`${task.url}/mcp`, PING, { ...bearer(ALICE), 'mcp-session-id': 'none' })
    statuses.push(response.status)
    if (response.status === 429) {
      t.match(await response.json(), { error: { message: /Too many requests for this key/ } }, 'the key rate answer')
      t.ok(Number(response.headers.get('retry-after')) > 0, 'with Retry-After')
    } else await response.text()
  }
  t.same(statuses, [...Array(limit).fill(404), 429], `${limit} requests pass (unknown session: 404), the next is refused while Redis hangs`)
  const other = await postJson(`${task.url}/mcp`, PING, { ...bearer(BOB), 'mcp-session-id': 'none' })
  t.equal(other.status, 404, 'another key is not limited by it')
  await other.text()
  t.ok(await eventually(async () => (await readiness(task.url)).status === 200, 15_000), 'ready again once Redis answers')
})
