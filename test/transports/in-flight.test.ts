import t from 'tap'
import { ALICE, startServer } from '../helpers/server.js'
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
