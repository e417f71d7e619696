import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { catalogNames } from '../../app/mcp/catalog.js'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { ALICE, BOB, KEYS, connect, resultJson, startServer, type TestServer } from '../helpers/server.js'
import { bearer, expectError, postJson, request, stillServes, type Tap } from '../helpers/http.js'
import { eventually } from '../helpers/processes.js'

const MODERN = '2026-07-28'
const CAROL = 'carol-secret-0123456789ab'
const ENV = { MCP_API_KEYS: `${KEYS},carol:${CAROL}:tools=add|whoami` }

interface Exchange {
  method: string
  requestHeaders: Headers
  status: number
  responseHeaders: Headers
}

/** A fetch that records every exchange, so tests assert on what crossed the wire rather than on the client's view. */
function recordingFetch(exchanges: Exchange[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init)
    exchanges.push({ method: init?.method ?? 'GET', requestHeaders: new Headers(init?.headers), status: response.status, responseHeaders: response.headers })
    return response
  }
}

type Negotiation = 'auto' | { pin: string }

/** A v2 SDK client negotiating the protocol era, its exchanges recorded. */
async function modernClient(t: Tap, server: TestServer, mode: Negotiation, key = ALICE, exchanges: Exchange[] = []) {
  const client = new Client({ name: 'modern-test', version: '1.0.0' }, { capabilities: {}, versionNegotiation: { mode } })
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: bearer(key) },
    fetch: recordingFetch(exchanges),
  })
  await client.connect(transport)
  t.teardown(() => client.close())
  return client
}

/** The 2026-07-28 envelope every modern request carries in `params._meta`. */
const envelope = (version = MODERN) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' },
})

const modernHeaders = (method: string, extra: Record<string, string> = {}) => ({ ...bearer(ALICE), 'mcp-protocol-version': MODERN, 'mcp-method': method, ...extra })

function rawCall(server: TestServer, params: Record<string, unknown>, headers: Record<string, string>, id = 7) {
  return postJson(`${server.url}/mcp`, { jsonrpc: '2.0', id, method: 'tools/call', params: { ...params, _meta: envelope() } }, headers)
}

/** Nothing of a modern request stays behind: no session opened, nothing counted in flight. */
async function nothingHeld(t: Tap, server: TestServer) {
  t.ok(await eventually(() => server.app.modernRequests.size === 0), 'no modern request left in flight')
  t.equal(server.app.sessions.size, 0, 'no session was opened')
}

for (const mode of ['auto', { pin: MODERN }] as Negotiation[]) {
  const name = mode === 'auto' ? 'auto' : 'pinned'
  t.test(`v2 client, ${name}: served statelessly on MCP ${MODERN}, every POST self-describing, no session on the wire`, async (t) => {
    const server = await startServer(t, ENV)
    const exchanges: Exchange[] = []
    const client = await modernClient(t, server, mode, ALICE, exchanges)
    t.equal(client.getProtocolEra(), 'modern')
    t.equal(client.getNegotiatedProtocolVersion(), MODERN)

    const { tools } = await client.listTools()
    t.equal(tools.length, catalogNames.tools.length, 'every tool is listed')
    t.same((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent, { sum: 5 })
    const identity = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
    t.same(identity, { principal: 'alice', client: { name: 'modern-test', version: '1.0.0' } }, 'the principal and the client as the envelope names it (getClientVersion), and no session id: there is none')
    const progress: number[] = []
    const done = await client.callTool({ name: 'long_task', arguments: { steps: 3, stepMs: 20 } }, { onprogress: (p) => progress.push(p.progress) })
    t.same(progress, [1, 2, 3], 'progress arrives on the call’s own answer')
    t.notOk(done.isError)

    const posts = exchanges.filter((exchange) => exchange.method === 'POST')
    t.ok(posts.length >= 5, 'the probe and every call were POSTs')
    for (const post of posts) {
      t.equal(post.status, 200)
      t.equal(post.requestHeaders.get('mcp-protocol-version'), MODERN, 'MCP-Protocol-Version on every POST')
      t.ok(post.requestHeaders.get('mcp-method'), 'Mcp-Method on every POST')
      t.equal(post.requestHeaders.get('mcp-session-id'), null, 'the client sends no session id')
      t.equal(post.responseHeaders.get('mcp-session-id'), null, 'the server mints none')
    }
    t.ok(posts.some((post) => post.requestHeaders.get('mcp-method') === 'server/discover'), 'the client discovered the server')
    t.ok(posts.some((post) => post.requestHeaders.get('mcp-name') === 'add'), 'Mcp-Name names the tool called')
    await nothingHeld(t, server)
    const audit = server.logs.records().filter((record) => record.event === 'modern_request')
    t.ok(audit.length >= 5, 'one audit line per modern POST')
    t.match(audit.find((record) => record.method === 'tools/call'), { principal: 'alice', status: 200, outcome: 'ok', durationMs: Number })
  })
}

t.test('summarize on a modern request: a client without sampling gets a clean isError, not -32021', async (t) => {
  const server = await startServer(t, ENV)
  const client = await modernClient(t, server, 'auto')
  const result = await client.callTool({ name: 'summarize', arguments: { text: 'Some text to summarize, long enough.' } })
  t.equal(result.isError, true)
  t.match(result.content, [{ type: 'text', text: /needs a client that supports sampling/ }])
  await nothingHeld(t, server)
})

t.test('v2 client by default still opens a 2025 session on the same URL', async (t) => {
  const server = await startServer(t, ENV)
  const client = await connect(t, server.url, ALICE, 'streamable-http')
  t.equal(client.getProtocolEra(), 'legacy')
  t.match((client.transport as StreamableHTTPClientTransport).sessionId, /^v1\./)
  t.equal(server.app.sessions.size, 1)
})

t.test('a key’s allow-list and identity hold on modern requests', async (t) => {
  const server = await startServer(t, ENV)
  const carol = await modernClient(t, server, 'auto', CAROL)
  t.same((await carol.listTools()).tools.map((tool) => tool.name).sort(), ['add', 'whoami'])
  t.same(resultJson(await carol.callTool({ name: 'whoami', arguments: {} })), { principal: 'carol', client: { name: 'modern-test', version: '1.0.0' } })
  const refused = await carol.callTool({ name: 'read_file', arguments: { path: 'x' } }).then(
    () => undefined,
    (error: Error) => error,
  )
  t.match(refused?.message, /Tool read_file not found/)
  const completion = await carol.complete({ ref: { type: 'ref/prompt', name: 'review_code' }, argument: { name: 'focus', value: 'perf' } })
  t.same(completion.completion.values, ['performance'], 'completions on a modern request')
})

t.test('a modern request’s server serves later requests, and nothing of one request reaches the next', async (t) => {
  const server = await startServer(t, ENV)
  const CLIENT_INFO = 'io.modelcontextprotocol/clientInfo'
  /** A whoami of `key`, its client named `client` in the envelope, or named nowhere. */
  const whoami = async (key: string, id: number, client?: string) => {
    const { [CLIENT_INFO]: _, ...anonymous } = envelope()
    const meta = client === undefined ? anonymous : { ...anonymous, [CLIENT_INFO]: { name: client, version: '1.0.0' } }
    const response = await postJson(`${server.url}/mcp`, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: meta } }, { ...modernHeaders('tools/call', { 'mcp-name': 'whoami' }), ...bearer(key) })
    t.equal(response.status, 200)
    return ((await response.json()) as { result: { structuredContent: { principal: string; client: { name: string } | null } } }).result.structuredContent
  }
  for (let i = 0; i < 6; i++) {
    const [key, principal] = i % 2 === 0 ? [ALICE, 'alice'] : [BOB, 'bob']
    // Every third request names no client: the client of the request before must not show through.
    const client = i % 3 === 2 ? undefined : `client-${i}`
    t.match(await whoami(key, i, client), { principal, client: client === undefined ? null : { name: client } }, `request ${i}: its own key and client`)
  }
  const concurrent = await Promise.all(Array.from({ length: 40 }, (_, i) => whoami(i % 2 === 0 ? ALICE : BOB, 100 + i, `concurrent-${i}`)))
  concurrent.forEach((identity, i) => t.match(identity, { principal: i % 2 === 0 ? 'alice' : 'bob', client: { name: `concurrent-${i}` } }))
  // carol's allow-list gives her another catalog: no server of alice's serves her, and hers none of alice's.
  const listed = async (key: string) => {
    const response = await postJson(`${server.url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope() } }, { ...modernHeaders('tools/list'), ...bearer(key) })
    return ((await response.json()) as { result: { tools: { name: string }[] } }).result.tools.length
  }
  for (const key of [ALICE, CAROL, ALICE, CAROL]) t.equal(await listed(key), key === CAROL ? 2 : catalogNames.tools.length, 'the catalog of the key’s own allow-list')
  await nothingHeld(t, server)
})

t.test('raw modern requests: the server itself checks headers, version and method', async (t) => {
  const server = await startServer(t, ENV)
  const call = { name: 'add', arguments: { a: 1, b: 2 } }

  const good = await rawCall(server, call, modernHeaders('tools/call', { 'mcp-name': 'add', 'mcp-session-id': 'v1.stray' }))
  t.equal(good.status, 200)
  t.equal(good.headers.get('mcp-session-id'), null, 'a stray session id is ignored, never echoed')
  t.match(await good.json(), { id: 7, result: { structuredContent: { sum: 3 }, resultType: 'complete' } })

  const noMethod = await rawCall(server, call, { ...bearer(ALICE), 'mcp-protocol-version': MODERN, 'mcp-name': 'add' })
  t.equal(noMethod.status, 400, 'missing Mcp-Method: 400')
  t.match(await noMethod.json(), { id: 7, error: { code: -32020 } })

  const wrongName = await rawCall(server, call, modernHeaders('tools/call', { 'mcp-name': 'whoami' }))
  t.equal(wrongName.status, 400, 'Mcp-Name naming another tool: 400')
  t.match(await wrongName.json(), { error: { code: -32020 } })

  const wrongMethod = await rawCall(server, call, modernHeaders('tools/list'))
  t.equal(wrongMethod.status, 400, 'Mcp-Method naming another method: 400')
  t.match(await wrongMethod.json(), { error: { code: -32020 } })

  const future = await postJson(
    `${server.url}/mcp`,
    { jsonrpc: '2.0', id: 8, method: 'tools/list', params: { _meta: envelope('2027-01-01') } },
    modernHeaders('tools/list', { 'mcp-protocol-version': '2027-01-01' }),
  )
  t.equal(future.status, 400, 'an unsupported revision: 400')
  t.match(await future.json(), { id: 8, error: { code: -32022, data: { supported: [MODERN] } } })

  const ping = await postJson(`${server.url}/mcp`, { jsonrpc: '2.0', id: 9, method: 'ping', params: { _meta: envelope() } }, modernHeaders('ping'))
  t.equal(ping.status, 404, 'a method 2026-07-28 does not have: 404')
  t.match(await ping.json(), { id: 9, error: { code: -32601 } })

  const headerOnly = await postJson(`${server.url}/mcp`, { jsonrpc: '2.0', id: 10, method: 'tools/list' }, modernHeaders('tools/list'))
  t.equal(headerOnly.status, 400, 'a modern header without the envelope: 400')
  t.match(await headerOnly.json(), { id: 10, error: { code: -32602 } })

  const noVersion = await rawCall(server, call, { ...bearer(ALICE), 'mcp-method': 'tools/call', 'mcp-name': 'add' })
  t.equal(noVersion.status, 400, 'an envelope without the MCP-Protocol-Version header: 400')
  t.match(await noVersion.json(), { id: 7, error: { code: -32020, data: { mismatch: { header: '(missing)' } } } })

  const noName = await rawCall(server, call, modernHeaders('tools/call'))
  t.equal(noName.status, 400, 'a tool call without Mcp-Name: 400')
  t.match(await noName.json(), { id: 7, error: { code: -32020, message: /Mcp-Name header is absent/ } })

  const encoded = await rawCall(server, call, modernHeaders('tools/call', { 'mcp-name': `=?base64?${Buffer.from('add').toString('base64')}?=` }))
  t.equal(encoded.status, 200, 'Mcp-Name in its Base64 form names the same tool')
  t.match(await encoded.json(), { id: 7, result: { structuredContent: { sum: 3 } } })

  const badBase64 = await rawCall(server, call, modernHeaders('tools/call', { 'mcp-name': '=?base64?a*b?=' }))
  t.equal(badBase64.status, 400, 'Mcp-Name with a broken Base64 form: 400')
  t.match(await badBase64.json(), { id: 7, error: { code: -32020, message: /invalid Base64/ } })
  const notUtf8 = await rawCall(server, call, modernHeaders('tools/call', { 'mcp-name': `=?base64?${Buffer.from([0x61, 0xff, 0x64]).toString('base64')}?=` }))
  t.equal(notUtf8.status, 400, 'Mcp-Name whose Base64 is not UTF-8: 400, as the SDK answers it')
  t.match(await notUtf8.json(), { id: 7, error: { code: -32020, message: /invalid Base64/ } })

  const unknownTool = await rawCall(server, { name: 'nope', arguments: {} }, modernHeaders('tools/call', { 'mcp-name': 'nope' }))
  t.equal(unknownTool.status, 200, 'a tool that does not exist is the call\'s own error: 200')
  t.match(await unknownTool.json(), { id: 7, error: { code: -32602 } })

  const notification = await postJson(
    `${server.url}/mcp`,
    { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99, _meta: envelope() } },
    modernHeaders('notifications/cancelled'),
  )
  t.equal(notification.status, 202, 'a notification is accepted with no answer')
  t.equal(await notification.text(), '')

  await nothingHeld(t, server)
  await stillServes(t, server)
})

t.test('modern requests are guarded like sessions: key, Origin, GET and DELETE without a session', async (t) => {
  const server = await startServer(t, ENV)
  const body = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope() } }
  const { authorization: _, ...noKey } = modernHeaders('tools/list')
  await expectError(t, await postJson(`${server.url}/mcp`, body, noKey), 401)
  await expectError(t, await postJson(`${server.url}/mcp`, body, modernHeaders('tools/list', { origin: 'https://evil.example' })), 403)
  for (const method of ['GET', 'DELETE']) {
    const response = await request(`${server.url}/mcp`, { method, headers: { ...bearer(ALICE), accept: 'text/event-stream' } })
    const error = await expectError(t, response, 405)
    t.equal(response.headers.get('allow'), 'POST')
    t.match(error.error.message, /needs an Mcp-Session-Id/)
  }
  const refused = new Client({ name: 'no-key', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } })
  const error = await refused.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`))).then(
    () => undefined,
    (rejection: Error) => rejection,
  )
  t.ok(error, 'an auto client without a key is refused, not fallen back to a session')
  t.equal(server.app.sessions.size, 0)
  await nothingHeld(t, server)
})

t.test('a silent modern call gets heartbeats, then its answer as an event', async (t) => {
  const server = await startServer(t, { ...ENV, MCP_HEARTBEAT_MS: '150' })
  const response = await rawCall(server, { name: 'long_task', arguments: { steps: 2, stepMs: 250 } }, modernHeaders('tools/call', { 'mcp-name': 'long_task' }))
  t.equal(response.status, 200)
  t.equal(response.headers.get('content-type'), 'text/event-stream')
  const text = await response.text()
  t.match(text, /^: keepalive\n\n/, 'the first bytes are a heartbeat')
  const data = text.split('\n').find((line) => line.startsWith('data: '))
  t.match(JSON.parse(data!.slice('data: '.length)), { id: 7, result: { content: [{ text: 'Finished all 2 steps' }] } })
  await nothingHeld(t, server)
})

t.test('subscriptions/listen opens a stream the SDK acknowledges; closing it leaves nothing behind', async (t) => {
  const server = await startServer(t, ENV)
  const response = await postJson(
    `${server.url}/mcp`,
    { jsonrpc: '2.0', id: 5, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: envelope() } },
    modernHeaders('subscriptions/listen'),
  )
  t.equal(response.status, 200)
  t.equal(response.headers.get('content-type'), 'text/event-stream')
  const reader = response.body!.getReader()
  const first = new TextDecoder().decode((await reader.read()).value)
  t.match(first, /notifications\/subscriptions\/acknowledged/, 'the first event acknowledges the subscription')
  t.equal(server.app.modernRequests.size, 1, 'the open stream counts as a request in flight')
  await reader.cancel()
  await nothingHeld(t, server)
  t.ok(await eventually(() => server.logs.records().some((record) => record.event === 'modern_request' && record.method === 'subscriptions/listen')), 'audited')
  const audit = server.logs.records().find((record) => record.event === 'modern_request' && record.method === 'subscriptions/listen')
  t.match(audit, { outcome: 'cancelled' }, 'closed by its client: counted cancelled, not ok')
  await stillServes(t, server)
})

t.test('a quick modern call is one JSON body', async (t) => {
  const server = await startServer(t, { ...ENV, MCP_HEARTBEAT_MS: '5000' })
  const response = await rawCall(server, { name: 'whoami', arguments: {} }, modernHeaders('tools/call', { 'mcp-name': 'whoami' }))
  t.match(response.headers.get('content-type'), /^application\/json/)
  t.match(await response.json(), { result: { structuredContent: { principal: 'alice' } } })
})

t.test('caps: modern requests in flight per key (429); during the drain new ones are served and the ones in flight finish', async (t) => {
  const server = await startServer(t, { ...ENV, MCP_MAX_IN_FLIGHT_PER_KEY: '1' })
  const slow = rawCall(server, { name: 'long_task', arguments: { steps: 1, stepMs: 400 } }, modernHeaders('tools/call', { 'mcp-name': 'long_task' }), 1)
  t.ok(await eventually(() => server.app.modernRequests.size === 1), 'the slow call is in flight')
  const over = await rawCall(server, { name: 'add', arguments: { a: 1, b: 1 } }, modernHeaders('tools/call', { 'mcp-name': 'add' }), 2)
  const body = await expectError(t, over, 429)
  t.match(body.error.message, /requests in flight for this key \(at most 1\)/)
  t.equal(over.headers.get('retry-after'), '1')

  server.app.sessions.startDraining()
  const served = await postJson(`${server.url}/mcp`, { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: envelope() } }, modernHeaders('tools/list', { authorization: `Bearer ${CAROL}` }))
  t.equal(served.status, 200, 'a task still in the pool serves a new request while it drains')
  t.match(await served.text(), /"tools"/)
  const finished = await slow
  t.equal(finished.status, 200, 'the call in flight finished during the drain')
  t.match(await finished.text(), /Finished all 1 steps/)
  await nothingHeld(t, server)
})

t.test('a client that closes a modern call cancels it', async (t) => {
  const server = await startServer(t, ENV)
  const response = await postJson(
    `${server.url}/mcp`,
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'long_task', arguments: { steps: 50, stepMs: 100 }, _meta: { ...envelope(), progressToken: 1 } } },
    modernHeaders('tools/call', { 'mcp-name': 'long_task' }),
  )
  const reader = response.body!.getReader()
  await reader.read()
  void reader.cancel()
  t.ok(await eventually(() => server.logs.records().some((record) => record.event === 'long_task_ended' && record.cancelled === true)), 'the tool saw the cancellation')
  const ended = server.logs.records().find((record) => record.event === 'long_task_ended')
  t.ok((ended?.completedSteps as number) < 50, 'it stopped early')
  await nothingHeld(t, server)
  t.match(server.logs.records().find((record) => record.event === 'modern_request'), { outcome: 'cancelled' })
})

t.test('the key rate limit and the body limit hold for modern requests', async (t) => {
  const server = await startServer(t, { ...ENV, MCP_RATE_LIMIT_PER_MIN: '3', MCP_MAX_BODY_BYTES: '2048' })
  const big = await rawCall(server, { name: 'add', arguments: { a: 1, b: 2, padding: 'x'.repeat(4096) } }, modernHeaders('tools/call', { 'mcp-name': 'add' }))
  await expectError(t, big, 413)
  for (let id = 1; id <= 2; id++) t.equal((await rawCall(server, { name: 'add', arguments: { a: 1, b: 2 } }, modernHeaders('tools/call', { 'mcp-name': 'add' }), id)).status, 200)
  const limited = await rawCall(server, { name: 'add', arguments: { a: 1, b: 2 } }, modernHeaders('tools/call', { 'mcp-name': 'add' }), 9)
  await expectError(t, limited, 429)
  t.ok(limited.headers.get('retry-after'), 'with Retry-After')
  await nothingHeld(t, server)
})

t.test('logging on a modern request follows the level the request asks for, and is silent without one', async (t) => {
  const server = await startServer(t, ENV)
  const call = (meta: Record<string, unknown>) =>
    postJson(
      `${server.url}/mcp`,
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'long_task', arguments: { steps: 2, stepMs: 5 }, _meta: { ...envelope(), ...meta } } },
      modernHeaders('tools/call', { 'mcp-name': 'long_task' }),
    ).then((response) => response.text())
  const debug = await call({ 'io.modelcontextprotocol/logLevel': 'debug' })
  t.equal((debug.match(/"method":"notifications\/message"/g) ?? []).length, 2, 'debug: one log message per step')
  const warning = await call({ 'io.modelcontextprotocol/logLevel': 'warning' })
  t.notMatch(warning, /notifications\/message/, 'warning: the debug messages are filtered out')
  const silent = await call({})
  t.notMatch(silent, /notifications\/message/, 'no level asked: nothing logged to the client')
  t.match(silent, /Finished all 2 steps/)
})

t.test('a tool parameter mirrored in an Mcp-Param header (x-mcp-header, SEP-2243): sent by the SDK client, checked by the server', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'param-header-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  writeFileSync(join(root, 'notes.md'), 'hello')
  const server = await startServer(t, { ...ENV, MCP_FILES_ROOT: root })
  const exchanges: Exchange[] = []
  const client = await modernClient(t, server, { pin: MODERN }, ALICE, exchanges)
  const { tools } = await client.listTools()
  t.match(tools.find((tool) => tool.name === 'read_file')?.inputSchema, { properties: { path: { 'x-mcp-header': 'File-Path' } } }, 'tools/list declares the header on read_file.path')
  const read = await client.callTool({ name: 'read_file', arguments: { path: 'notes.md' } })
  t.match(read.content, [{ type: 'text', text: /hello/ }], 'the SDK client calls it')
  t.equal(exchanges.at(-1)?.requestHeaders.get('mcp-param-file-path'), 'notes.md', 'and mirrors the argument in Mcp-Param-File-Path')

  const headers = (extra: Record<string, string> = {}) => modernHeaders('tools/call', { 'mcp-name': 'read_file', ...extra })
  const call = { name: 'read_file', arguments: { path: 'notes.md' } }
  const missing = await rawCall(server, call, headers())
  t.equal(missing.status, 400, 'the header absent: 400')
  t.match(await missing.json(), { id: 7, error: { code: -32020, data: { mismatch: { header: 'Mcp-Param-File-Path' } } } })
  const other = await rawCall(server, call, headers({ 'mcp-param-file-path': 'secret.md' }))
  t.equal(other.status, 400, 'the header naming another path: 400')
  t.match(await other.json(), { error: { code: -32020, message: /decodes to "secret.md"/ } })
  const badBase64 = await rawCall(server, call, headers({ 'mcp-param-file-path': '=?base64?not base64?=' }))
  t.equal(badBase64.status, 400, 'an invalid Base64 sentinel: 400')
  t.match(await badBase64.json(), { error: { code: -32020, message: /invalid Base64/ } })
  const encoded = await rawCall(server, call, headers({ 'mcp-param-file-path': `=?base64?${Buffer.from('notes.md').toString('base64')}?=` }))
  t.equal(encoded.status, 200, 'the Base64 form of the same path: served')
  t.match(await encoded.json(), { id: 7, result: { content: [{ text: /hello/ }] } })
  const audited = server.logs.records().filter((record) => record.event === 'modern_request' && record.name === 'read_file')
  t.same(audited.map((record) => record.status), [200, 400, 400, 400, 200], 'each request is audited with its status')
  await nothingHeld(t, server)
  await stillServes(t, server)
})
