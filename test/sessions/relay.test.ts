import { spawnSync } from 'node:child_process'
import t from 'tap'
import { SessionIds } from '../../app/sessions/session-id.js'
import { initializeRaw } from '../helpers/http.js'
import { ALICE, BOB, KEYS, TRANSPORTS, connect, resultJson, rpcErrorCode } from '../helpers/server.js'
import { counter, eventually, ownerOf, startHaproxy, startRedis, startTask, type Task } from '../helpers/processes.js'

const CALLS = 30
// A dotted key name: the relay header must carry any name a key may have (app/keys.ts allows [A-Za-z0-9_.-]).
const CAROL = 'carol-secret-0123456789abc'
const RELAY_KEYS = `${KEYS},team.carol:${CAROL}`

// Three real server processes sharing a Redis, behind HAProxy doing plain round robin: no request of a
// session is likely to land on the task that owns it unless the relay works.
const redis = await startRedis(t)
const tasks: Task[] = []
for (let i = 0; i < 3; i++) tasks.push(await startTask(t, { REDIS_URL: redis.url, LOG_LEVEL: 'debug', MCP_API_KEYS: RELAY_KEYS }))
const alb = await startHaproxy(t, tasks)
const taskByOwner = (sessionId: string) => tasks.find((task) => ownerOf(sessionId) === `127.0.0.1:${task.peerPort}`)!
const relayedTotal = async () => (await Promise.all(tasks.map((task) => counter(task, 'mcp_relayed_requests_total', 'outcome="relayed"')))).reduce((a, b) => a + b, 0)

for (const transport of TRANSPORTS) {
  t.test(`SDK client over ${transport}, round robin without cookies: every call answered`, async (t) => {
    const relayedBefore = await relayedTotal()
    const client = await connect(t, alb.url, CAROL, transport)
    const identities = []
    for (let i = 0; i < CALLS; i++) identities.push(resultJson(await client.callTool({ name: 'whoami', arguments: {} })))
    t.equal(identities.length, CALLS, 'all calls answered')
    t.ok(identities.every((identity) => identity.principal === 'team.carol'), 'every answer is the caller’s (a dotted key name)')
    t.equal(new Set(identities.map((identity) => identity.sessionId)).size, 1, 'one session throughout')
    t.ok(taskByOwner(identities[0].sessionId), 'the session id names one of the tasks')
    t.ok((await relayedTotal()) - relayedBefore >= CALLS / 2, 'most requests reached a non-owner and were relayed')
  })
}

/** A fetch that keeps cookies, as a browser would: the ALB's stickiness cookie comes back on every request. */
function cookieKeepingFetch(): typeof fetch {
  let cookie: string | undefined
  return async (input, init) => {
    const headers = new Headers(init?.headers)
    if (cookie) headers.set('cookie', cookie)
    const response = await fetch(input, { ...init, headers })
    const setCookie = response.headers.get('set-cookie')
    if (setCookie) cookie = setCookie.split(';')[0]
    return response
  }
}

t.test('with lb_cookie stickiness and a cookie-keeping client, requests stay on the owner', async (t) => {
  const stickyAlb = await startHaproxy(t, tasks, { sticky: true })
  for (const transport of TRANSPORTS) {
    const relayedBefore = await relayedTotal()
    const client = await connect(t, stickyAlb.url, ALICE, transport, { fetch: cookieKeepingFetch() })
    for (let i = 0; i < 10; i++) t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
    t.equal(await relayedTotal(), relayedBefore, `${transport}: nothing needed relaying`)
  }
  // Cookie-less clients on the sticky balancer still work: stickiness is an optimisation only.
  const client = await connect(t, stickyAlb.url, ALICE, 'streamable-http')
  for (let i = 0; i < 10; i++) t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
})

t.test('Inspector CLI over legacy SSE through the balancer', async (t) => {
  const run = (method: string[]) =>
    spawnSync('npx', ['mcp-inspector', '--cli', `${alb.url}/sse`, '--transport', 'sse', '--header', `Authorization: Bearer ${ALICE}`, ...method], {
      encoding: 'utf8',
      timeout: 60_000,
    })
  for (let i = 0; i < 3; i++) {
    const list = run(['--method', 'tools/list'])
    t.equal(list.status, 0, `tools/list exit code (run ${i + 1})`)
    t.match(list.stdout, /"whoami"/)
    const call = run(['--method', 'tools/call', '--tool-name', 'whoami'])
    t.equal(call.status, 0, `tools/call exit code (run ${i + 1})`)
    t.match(call.stdout, /alice/)
  }
})

t.test('cross-key isolation holds when the request is relayed', async (t) => {
  for (const transport of TRANSPORTS) {
    const client = await connect(t, alb.url, ALICE, transport)
    const { sessionId } = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
    const owner = taskByOwner(sessionId)
    const other = tasks.find((task) => task !== owner)!
    const response =
      transport === 'sse'
        ? await fetch(`${other.url}/messages?sessionId=${sessionId}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${BOB}`, 'content-type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
          })
        : await fetch(`${other.url}/mcp`, {
            method: 'POST',
            headers: { authorization: `Bearer ${BOB}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
          })
    t.equal(response.status, 404, `${transport}: another key gets 404 through the relay`)
    t.equal(await rpcErrorCode(response), -32001)
    // pino writes asynchronously: the line may reach the pipe after the answer reaches the client.
    t.ok(await eventually(() => owner.child.output.includes('"event":"foreign_session"')), 'the owner logged the security event')
    t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the owner’s session is unharmed')
  }
})

t.test('forged, truncated and re-signed session ids: 404 and the owner sees no request', async (t) => {
  // A session without an SDK client, so no background request (its GET stream) is relayed meanwhile.
  const { sessionId } = await initializeRaw(alb)
  const owner = taskByOwner(sessionId)
  const other = tasks.find((task) => task !== owner)!
  const [version, encodedOwner, nonce, mac] = sessionId.split('.')
  const forged = {
    'altered nonce': `${version}.${encodedOwner}.${nonce.slice(0, -2)}xx.${mac}`,
    truncated: sessionId.slice(0, -5),
    'no mac': `${version}.${encodedOwner}.${nonce}`,
    're-signed with another secret': new SessionIds('another-secret-that-is-long-enough-123', ownerOf(sessionId)).create(),
    'points at an address of the attacker’s choosing': `${version}.${Buffer.from('127.0.0.1:9').toString('base64url')}.${nonce}.${mac}`,
  }
  // What was sent to the owner and what reached its sessions, counted as it happens (log lines are written
  // asynchronously: a line of an earlier request can arrive late).
  const sent = () => counter(other, 'mcp_relayed_requests_total')
  const received = () => counter(owner, 'mcp_messages_total', 'streamable-http')
  const before = { sent: await sent(), received: await received() }
  for (const [what, id] of Object.entries(forged)) {
    const response = await fetch(`${other.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    t.equal(response.status, 404, `${what}: 404`)
    t.equal(await rpcErrorCode(response), -32001, `${what}: session-not-found body`)
  }
  t.equal(await sent(), before.sent, 'the other task sent none of them to the owner’s peer port')
  t.equal(await received(), before.received, 'and the owner’s session received none of them')
  const genuine = await fetch(`${other.url}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  })
  t.equal(genuine.status, 202, 'the genuine id through the same task is relayed and accepted')
  t.equal(await sent(), before.sent + 1, 'that one was relayed')
  t.equal(await received(), before.received + 1, 'and the owner’s session received it')
  const peerDirect = await fetch(`http://127.0.0.1:${owner.peerPort}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'mcp-session-id': sessionId, 'x-mcp-relay': 'alice.1.forged' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  })
  t.equal(peerDirect.status, 404, 'the peer port refuses an unsigned relay even with a genuine session id')
})

t.test('the per-key rate limit holds across all tasks together (Redis)', async (t) => {
  const limited = await startRedis(t)
  const limitedTasks: Task[] = []
  for (let i = 0; i < 3; i++) limitedTasks.push(await startTask(t, { REDIS_URL: limited.url, MCP_RATE_LIMIT_PER_MIN: '12' }))
  const balancer = await startHaproxy(t, limitedTasks)
  const statuses: number[] = []
  for (let i = 0; i < 24; i++) {
    const response = await fetch(`${balancer.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOB}`, 'content-type': 'application/json', 'mcp-session-id': 'v1.none.none.none' },
      body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' }),
    })
    statuses.push(response.status)
    if (response.status === 429) t.ok(Number(response.headers.get('retry-after')) > 0, 'Retry-After on 429')
  }
  t.equal(statuses.filter((status) => status !== 429).length, 12, 'exactly the limit got through, not 3 × the limit')
  t.equal(statuses.filter((status) => status === 429).length, 12, 'the rest were limited')
  const client = await connect(t, balancer.url, ALICE, 'sse')
  t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'another key is unaffected')
})

t.test('streamed answers come back through the relay as they happen (progress before the result)', async (t) => {
  for (const transport of TRANSPORTS) {
    const client = await connect(t, alb.url, CAROL, transport)
    const progress: number[] = []
    let resultArrived = false
    const call = client
      .callTool({ name: 'long_task', arguments: { steps: 5, stepMs: 100 } }, {
        onprogress: ({ progress: value }) => {
          if (!resultArrived) progress.push(value)
        },
      })
      .then((result) => {
        resultArrived = true
        return result
      })
    const result = await call
    t.notOk(result.isError, `${transport}: the long task finished`)
    t.ok(progress.length >= 3, `${transport}: progress arrived while the call ran (${progress.join(', ')})`)
    t.same(progress, [...progress].sort((a, b) => a - b), `${transport}: in order`)
  }
})

t.test('user profiles live in Redis: one task stores, another task reads', async (t) => {
  const writer = await connect(t, tasks[0].url, ALICE, 'streamable-http')
  const created = await writer.callTool({ name: 'create_user_profile', arguments: { name: 'Grace', email: 'grace@example.com', age: 45 } })
  const { id } = created.structuredContent as { id: string }
  const reader = await connect(t, tasks[1].url, ALICE, 'sse')
  const read = await reader.readResource({ uri: `users://${id}/profile` })
  const [content] = read.contents
  t.match(JSON.parse('text' in content ? content.text : ''), { id, name: 'Grace' }, 'the other task reads the same profile')
  const stranger = await connect(t, tasks[2].url, BOB, 'sse')
  await t.rejects(stranger.readResource({ uri: `users://${id}/profile` }), 'another key cannot read it on any task')
})
