import t from 'tap'
import { ALICE, BOB, startServer } from '../helpers/server.js'
import { EventStream, INITIALIZE, PING, bearer, expectError, initializeRaw, nothingLeaked, openSse, postJson, request, stillServes } from '../helpers/http.js'

const WRONG_KEY = 'wrong-secret-0123456789'

/** The routes that need a key, with a request that would otherwise reach the transport. */
const guarded = (url: string) => [
  { name: 'GET /sse', send: (headers: Record<string, string>) => request(`${url}/sse`, { headers }) },
  { name: 'POST /mcp', send: (headers: Record<string, string>) => postJson(`${url}/mcp`, PING, headers) },
  { name: 'POST /messages', send: (headers: Record<string, string>) => postJson(`${url}/messages?sessionId=x`, PING, headers) },
]

t.test('no key and a wrong key both get 401 with WWW-Authenticate: Bearer and the same body', async (t) => {
  const server = await startServer(t)
  for (const route of guarded(server.url)) {
    const missing = await route.send({})
    t.match(missing.headers.get('www-authenticate'), /^Bearer\b/, `${route.name} without key: Bearer challenge`)
    const missingBody = await expectError(t, missing, 401)
    const wrong = await route.send(bearer(WRONG_KEY))
    t.match(wrong.headers.get('www-authenticate'), /^Bearer\b/, `${route.name} with a wrong key: Bearer challenge`)
    t.same(await expectError(t, wrong, 401), missingBody, `${route.name}: wrong key answers like no key`)
  }
  await stillServes(t, server)
  await nothingLeaked(t, server)
  t.notOk(server.logs.text.includes(WRONG_KEY), 'the wrong key is not logged')
})

t.test('a key in X-API-Key is accepted on both transports', async (t) => {
  const server = await startServer(t)
  const { endpoint, stream } = await openSse(t, server, ALICE)
  stream.close()
  const viaHeader = await EventStream.open(t, `${server.url}/sse`, { 'x-api-key': ALICE })
  t.equal(viaHeader.response.status, 200, 'GET /sse with X-API-Key opens a stream')
  const [, messages] = await viaHeader.waitFor(/data: (\S+)\n/)
  t.not(messages, endpoint, 'a session of its own')
  const posted = await postJson(`${new URL(server.url).origin}${messages}`, PING, { 'x-api-key': ALICE })
  t.equal(posted.status, 202, 'POST /messages with X-API-Key is accepted')
  await viaHeader.waitFor(/event: message\ndata: .*"id":2/)
  const initialize = await postJson(`${server.url}/mcp`, INITIALIZE, { 'x-api-key': ALICE })
  t.equal(initialize.status, 200, 'POST /mcp initialize with X-API-Key opens a session')
  t.ok(initialize.headers.get('mcp-session-id'), 'with a session id')
  await initialize.text()
  viaHeader.close()
  await nothingLeaked(t, server, 1)
})

t.test('failed authentication per IP: 429 with Retry-After past the limit, the same IP keeps its valid key', async (t) => {
  const server = await startServer(t, { MCP_AUTH_FAILURES_PER_MIN: '3' })
  for (let attempt = 1; attempt <= 3; attempt++) {
    await expectError(t, await request(`${server.url}/sse`, { headers: bearer(WRONG_KEY) }), 401)
  }
  const limited = await request(`${server.url}/sse`, { headers: bearer(WRONG_KEY) })
  t.match(limited.headers.get('retry-after'), /^[1-9]\d*$/, 'Retry-After in whole seconds')
  await expectError(t, limited, 429)
  await expectError(t, await request(`${server.url}/sse`), 429, -32000)
  await stillServes(t, server)
  await nothingLeaked(t, server)
})

t.test('a forgotten Inspector tab retrying GET /sse without a key every 3 s stays under the default limit', async (t) => {
  // A 3 s retry makes 60 s / 3 s = 20 attempts per one-minute window. Sent at once they are 20 within one
  // window, the worst case; the default limit must let them all through as plain 401s.
  const attemptsPerWindow = 60_000 / 3_000
  const server = await startServer(t)
  for (let attempt = 1; attempt <= attemptsPerWindow; attempt++) {
    const response = await request(`${server.url}/sse`)
    t.equal(response.status, 401, `attempt ${attempt} is a 401, not a 429`)
    await response.body?.cancel()
  }
  await stillServes(t, server)
  await nothingLeaked(t, server)
})

t.test('the failure limit is exact: a limit of 20 per minute tolerates the 3 s retry and stops the 21st', async (t) => {
  const server = await startServer(t, { MCP_AUTH_FAILURES_PER_MIN: String(60_000 / 3_000) })
  const statuses: number[] = []
  for (let attempt = 1; attempt <= 21; attempt++) {
    const response = await request(`${server.url}/sse`)
    statuses.push(response.status)
    await response.body?.cancel()
  }
  t.same(statuses, [...Array(20).fill(401), 429])
})

t.test('per-key request rate: 429 with Retry-After past MCP_RATE_LIMIT_PER_MIN, other keys unaffected', async (t) => {
  // A full client session (initialize, initialized, GET stream, a call, DELETE) fits in this budget.
  const limit = 8
  const server = await startServer(t, { MCP_RATE_LIMIT_PER_MIN: String(limit) })
  const unknownSession = { ...bearer(ALICE), 'mcp-session-id': 'v1.unknown' }
  for (let attempt = 1; attempt <= limit; attempt++) {
    await expectError(t, await request(`${server.url}/mcp`, { headers: unknownSession }), 404, -32001)
  }
  const limited = await request(`${server.url}/mcp`, { headers: unknownSession })
  t.match(limited.headers.get('retry-after'), /^[1-9]\d*$/, 'Retry-After in whole seconds')
  await expectError(t, limited, 429)
  await expectError(t, await request(`${server.url}/sse`, { headers: bearer(ALICE) }), 429)
  await stillServes(t, server, BOB)
  await nothingLeaked(t, server)
})

t.test('the Bearer scheme is case-insensitive: bearer and BEARER are accepted, other schemes are not', async (t) => {
  const server = await startServer(t)
  const lower = await EventStream.open(t, `${server.url}/sse`, { authorization: `bearer ${ALICE}` })
  t.equal(lower.response.status, 200, 'GET /sse with "bearer" opens a stream')
  await lower.waitFor(/event: endpoint\n/)
  const upper = await postJson(`${server.url}/mcp`, INITIALIZE, { authorization: `BEARER ${ALICE}` })
  t.equal(upper.status, 200, 'initialize with "BEARER" is served')
  t.ok(upper.headers.get('mcp-session-id'), 'and opens a session')
  await upper.text()
  await expectError(t, await postJson(`${server.url}/mcp`, INITIALIZE, { authorization: `Basic ${ALICE}` }), 401)
  const spaced = await postJson(`${server.url}/mcp`, INITIALIZE, { authorization: `Bearer   ${ALICE}  ` })
  t.equal(spaced.status, 200, 'spaces after the scheme and after the key are allowed')
  await spaced.text()
  await request(`${server.url}/mcp`, { method: 'DELETE', headers: { ...bearer(ALICE), 'mcp-session-id': spaced.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-03-26' } })
  await expectError(t, await postJson(`${server.url}/mcp`, INITIALIZE, { authorization: 'Bearer    ' }), 401)
  lower.close()
  const sessionId = upper.headers.get('mcp-session-id')!
  await request(`${server.url}/mcp`, { method: 'DELETE', headers: { ...bearer(ALICE), 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-03-26' } })
  await stillServes(t, server)
  await nothingLeaked(t, server)
})

t.test('each message of a JSON-RPC batch counts against the per-key rate; a batch past what is left is refused whole', async (t) => {
  const limit = 10
  const server = await startServer(t, { MCP_RATE_LIMIT_PER_MIN: String(limit) })
  const { headers } = await initializeRaw(server) // initialize + initialized: 2 of 10
  const batch = (size: number) => Array.from({ length: size }, (_, index) => ({ ...PING, id: 100 + index }))
  const served = await postJson(`${server.url}/mcp`, batch(5), headers)
  t.equal(served.status, 200, 'a batch of 5 within the limit is served (2025-03-26 session)')
  t.equal((await served.text()).match(/"result"/g)?.length, 5, 'all 5 answered')
  const statuses = []
  for (let call = 0; call < 4; call++) statuses.push((await postJson(`${server.url}/mcp`, PING, headers)).status)
  t.same(statuses, [200, 200, 200, 429], 'the batch counted 5: only 3 more requests fit in 10')

  const bob = await initializeRaw(server, BOB)
  const refused = await postJson(`${server.url}/mcp`, batch(limit), bob.headers)
  t.match(refused.headers.get('retry-after'), /^[1-9]\d*$/, 'Retry-After in whole seconds')
  await expectError(t, refused, 429)
  t.equal((await postJson(`${server.url}/mcp`, PING, bob.headers)).status, 200, 'the refused batch used up no more than its own request')
  const metrics = await (await request(`${server.url}/metrics`)).text()
  t.match(metrics, /mcp_rate_limited_total\{reason="key_rate"\} 2/, 'both refusals are counted as key_rate')
  await nothingLeaked(t, server, 2)
})
