import t from 'tap'
import { ALICE, BOB, startServer } from '../helpers/server.js'
import { eventually } from '../helpers/processes.js'
import { type Tap, INITIALIZE, PING, bearer, expectError, initializeRaw, nothingLeaked, openSse, postJson, stillServes } from '../helpers/http.js'

const BOUND = 3
const LIMITS = { MCP_MAX_IN_FLIGHT_PER_SESSION: String(BOUND) }

/** A call that stays in flight for a while: long_task, 1 step of `ms`. */
const slowCall = (id: number | string, ms = 1_500) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'long_task', arguments: { steps: 1, stepMs: ms } } })

async function expectInFlightRefusal(t: Tap, response: Response) {
  t.match(response.headers.get('retry-after'), /^[1-9]\d*$/, 'Retry-After in whole seconds')
  const body = await expectError(t, response, 429)
  t.match(body.error.message, /in flight for this session \(at most 3\)/, 'the message names the bound')
}

t.test('legacy SSE: over MCP_MAX_IN_FLIGHT_PER_SESSION /messages answers 429 (not 202); answered and cancelled requests free their slot', async (t) => {
  const server = await startServer(t, LIMITS)
  const sse = await openSse(t, server)
  const messages = `${server.url}${sse.endpoint}`
  for (let id = 1; id <= BOUND; id++) t.equal((await postJson(messages, slowCall(id), bearer(ALICE))).status, 202, `call ${id} admitted`)
  await expectInFlightRefusal(t, await postJson(messages, slowCall(99), bearer(ALICE)))
  t.equal((await postJson(messages, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }, bearer(ALICE))).status, 202, 'notifications are always admitted')
  t.equal((await postJson(messages, { ...PING, id: 'p' }, bearer(ALICE))).status, 202, 'the cancelled call freed its slot')
  await sse.stream.waitFor(/"id":"p"\}/)
  await sse.stream.waitFor(/"id":3\}/)
  t.equal((await postJson(messages, slowCall(4, 10), bearer(ALICE))).status, 202, 'answered calls freed theirs')
  t.equal((await postJson(messages, slowCall(5, 10), bearer(ALICE))).status, 202)
  await sse.stream.waitFor(/"id":5\}/)
  t.notMatch(sse.stream.text, /"id":99/, 'the refused call never ran')
  sse.stream.close()
  await nothingLeaked(t, server)
  await stillServes(t, server)
})

t.test('Streamable HTTP: 429 over the bound, a batch larger than the bound refused whole, slots freed when answers end', async (t) => {
  const server = await startServer(t, LIMITS)
  const initialized = await postJson(`${server.url}/mcp`, INITIALIZE, bearer(ALICE))
  await initialized.text()
  const headers = { ...bearer(ALICE), 'mcp-session-id': initialized.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-03-26' }
  const oversized = Array.from({ length: BOUND + 1 }, (_, index) => ({ ...PING, id: 100 + index }))
  await expectInFlightRefusal(t, await postJson(`${server.url}/mcp`, oversized, headers))
  const held = [postJson(`${server.url}/mcp`, [slowCall(1), slowCall(2)], headers), postJson(`${server.url}/mcp`, slowCall(3), headers)]
  t.ok(await eventually(() => server.app.sessions.size === 1), 'the session is open')
  // The held calls are admitted before their answers start: retry the probe until they are.
  let probe: Response | undefined
  await eventually(async () => {
    probe = await postJson(`${server.url}/mcp`, PING, headers)
    if (probe.status === 429) return true
    await probe.text()
    return false
  })
  await expectInFlightRefusal(t, probe!)
  for (const response of await Promise.all(held)) {
    t.equal(response.status, 200, 'the admitted calls are served')
    t.match(await response.text(), /"result"/)
  }
  const after = await postJson(`${server.url}/mcp`, PING, headers)
  t.equal(after.status, 200, 'once their answers ended, the slots are free')
  await after.text()
  t.equal((await fetch(`${server.url}/mcp`, { method: 'DELETE', headers })).status, 200)
  await nothingLeaked(t, server)
  await stillServes(t, server)
})

t.test('a good SDK client is never near the bound', async (t) => {
  const server = await startServer(t)
  const { headers } = await initializeRaw(server)
  const answers = await Promise.all(Array.from({ length: 16 }, (_, index) => postJson(`${server.url}/mcp`, { ...PING, id: index + 1 }, headers)))
  t.same(answers.map((answer) => answer.status), Array(16).fill(200), 'the default bound (16) serves 16 concurrent requests')
  await Promise.all(answers.map((answer) => answer.text()))
  await stillServes(t, server)
})

t.test('a request id used twice in one 2025-03-26 batch, or already in flight, is refused (400) and leaks no slot', async (t) => {
  const server = await startServer(t, LIMITS)
  const initialized = await postJson(`${server.url}/mcp`, INITIALIZE, bearer(ALICE))
  await initialized.text()
  const headers = { ...bearer(ALICE), 'mcp-session-id': initialized.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-03-26' }
  const add = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add', arguments: { a: id, b: 1 } } })
  for (let round = 0; round < BOUND * 5; round++) {
    const body = await expectError(t, await postJson(`${server.url}/mcp`, [add(round), add(round)], headers), 400, -32600)
    if (round === 0) t.equal(body.error.message, `Invalid Request: request id ${round} is already in use on this session`)
  }
  const held = postJson(`${server.url}/mcp`, slowCall(7, 800), headers)
  await eventually(async () => {
    const again = await postJson(`${server.url}/mcp`, slowCall(7, 10), headers)
    if (again.status === 400) t.match(((await again.json()) as { error: { message: string } }).error.message, /request id 7 is already in use/, 'the same id while the first is in flight: 400')
    else await again.text()
    return again.status === 400
  })
  const first = await held
  t.equal(first.status, 200, 'the first request keeps its answer')
  t.match(await first.text(), /"id":7/)
  const answers = await Promise.all(Array.from({ length: BOUND }, (_, index) => postJson(`${server.url}/mcp`, add(100 + index), headers)))
  t.same(answers.map((answer) => answer.status), Array(BOUND).fill(200), 'every slot is free: the refused batches held none')
  await Promise.all(answers.map((answer) => answer.text()))
  t.equal(server.app.inputLoad.bytes, 0, 'no input is held')
  await nothingLeaked(t, server, 1)
  await stillServes(t, server)
})

t.test('MCP_MAX_IN_FLIGHT_PER_KEY counts a key\'s requests across its sessions and MCP 2026-07-28 requests (429); other keys unaffected', async (t) => {
  const server = await startServer(t, { MCP_MAX_IN_FLIGHT_PER_KEY: '2' })
  const sse = await openSse(t, server)
  t.equal((await postJson(`${server.url}${sse.endpoint}`, slowCall(1, 4_000), bearer(ALICE))).status, 202, 'a call on a legacy SSE session')
  const { headers } = await initializeRaw(server)
  const held = postJson(`${server.url}/mcp`, slowCall(20, 4_000), headers)
  await eventually(async () => {
    const probe = await postJson(`${server.url}/mcp`, PING, headers)
    if (probe.status === 429) t.match((await expectError(t, probe, 429)).error.message, /requests in flight for this key \(at most 2\)/, 'a third request of the key: 429')
    else await probe.text()
    return probe.status === 429
  })
  const modern = await postJson(
    `${server.url}/mcp`,
    { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' } } } },
    { ...bearer(ALICE), 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
  )
  t.equal(modern.status, 429, 'and an MCP 2026-07-28 request of the key too')
  await modern.text()
  t.match(await server.app.metrics.registry.getSingleMetricAsString('mcp_rate_limited_total'), /reason="key_in_flight"\} [2-9]/, 'counted as key_in_flight')
  await stillServes(t, server, BOB)
  t.equal((await held).status, 200, 'the held call is answered')
  await sse.stream.waitFor(/"id":1\}/)
  t.ok(await eventually(async () => {
    const after = await postJson(`${server.url}/mcp`, PING, headers)
    await after.text()
    return after.status === 200
  }), 'once answered, the key is served again')
  sse.stream.close()
  t.ok(await eventually(() => server.app.inputLoad.bytes === 0), 'no input is held')
})

t.test('JSON deeper than MCP_MAX_JSON_DEPTH: 400 before it is parsed; a body past the task input budget: 503; a good client is served after', async (t) => {
  const server = await startServer(t, { MCP_MAX_INPUT_BYTES: '65536' })
  const { headers } = await initializeRaw(server)
  const deep = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2},"_meta":{"x":${'['.repeat(70)}${']'.repeat(70)}}}}`
  const tooDeep = await expectError(t, await postJson(`${server.url}/mcp`, deep, headers), 400, -32600)
  t.equal(tooDeep.error.message, 'Invalid Request: the JSON nests deeper than 64 levels')
  const large = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 }, _meta: { padding: 'x'.repeat(70_000) } } }
  const refused = await postJson(`${server.url}/mcp`, large, headers)
  t.equal(refused.headers.get('retry-after'), '1')
  t.equal((await expectError(t, refused, 503)).error.message, 'Service Unavailable: this task holds its maximum of request bytes')
  const metrics = await server.app.metrics.registry.getSingleMetricAsString('mcp_rate_limited_total')
  t.match(metrics, /reason="task_input_bytes"\} 1/, 'counted as task_input_bytes')
  t.equal(server.app.inputLoad.bytes, 0, 'nothing is held')
  await stillServes(t, server)
})
