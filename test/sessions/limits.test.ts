import t from 'tap'
import { ALICE, BOB, startServer, type TestServer } from '../helpers/server.js'
import { type Tap, INITIALIZE, PING, bearer, expectError, nothingLeaked, openSse, postJson, request, stillServes } from '../helpers/http.js'

/** Both ways of opening a session, sent raw so the refusal itself can be inspected. */
function openings(server: TestServer, key: string) {
  return [
    { name: 'GET /sse', send: () => request(`${server.url}/sse`, { headers: { ...bearer(key), accept: 'text/event-stream' } }) },
    { name: 'POST /mcp initialize', send: () => postJson(`${server.url}/mcp`, INITIALIZE, bearer(key)) },
  ]
}

async function expectRefusal(t: Tap, response: Response, status: number) {
  t.match(response.headers.get('retry-after'), /^[1-9]\d*$/, 'Retry-After in whole seconds')
  t.notMatch(response.headers.get('content-type'), /event-stream/, 'refused before any stream started')
  t.equal(response.headers.get('mcp-session-id'), null, 'no session id handed out')
  await expectError(t, response, status)
}

t.test('503 + Retry-After when the task holds MCP_MAX_SESSIONS, before any stream starts', async (t) => {
  const server = await startServer(t, { MCP_MAX_SESSIONS: '1' })
  const held = await openSse(t, server, ALICE)
  for (const key of [BOB, ALICE]) {
    for (const opening of openings(server, key)) await expectRefusal(t, await opening.send(), 503)
  }
  t.equal(server.app.sessions.size, 1, 'nothing opened by the refused attempts')
  const full = await request(`${server.url}/ready`)
  t.equal(full.status, 503, '/ready says the task accepts no new session')
  t.match(await full.json(), { reasons: ['session cap reached'] })
  t.equal((await postJson(`${server.url}/messages?sessionId=${held.sessionId}`, PING, bearer(ALICE))).status, 202, 'the open session still works')
  await held.stream.waitFor(/"id":2/)
  held.stream.close()
  await nothingLeaked(t, server)
  t.equal((await request(`${server.url}/ready`)).status, 200, '/ready is 200 again once a session is free')
  await stillServes(t, server, BOB)
})

t.test('429 + Retry-After past MCP_MAX_SESSIONS_PER_KEY, other keys unaffected', async (t) => {
  const server = await startServer(t, { MCP_MAX_SESSIONS_PER_KEY: '1' })
  const held = await openSse(t, server, ALICE)
  for (const opening of openings(server, ALICE)) await expectRefusal(t, await opening.send(), 429)
  await stillServes(t, server, BOB)
  t.equal((await postJson(`${server.url}/messages?sessionId=${held.sessionId}`, PING, bearer(ALICE))).status, 202, 'the open session still works')
  held.stream.close()
  await nothingLeaked(t, server)
  await stillServes(t, server, ALICE)
})

t.test('a draining task reports /ready 503 and keeps serving open sessions and new ones (it may still be in the pool)', async (t) => {
  const server = await startServer(t)
  const held = await openSse(t, server, ALICE)
  server.app.sessions.startDraining()
  const ready = await request(`${server.url}/ready`)
  t.equal(ready.status, 503, '/ready is 503')
  t.match(await ready.json(), { status: 'unavailable', reasons: ['draining'] })
  await stillServes(t, server, BOB)
  const fresh = await openSse(t, server, BOB)
  t.equal((await postJson(`${server.url}/messages?sessionId=${fresh.sessionId}`, PING, bearer(BOB))).status, 202, 'a legacy SSE session opened while draining works')
  t.equal((await postJson(`${server.url}/messages?sessionId=${held.sessionId}`, PING, bearer(ALICE))).status, 202, 'the open session still works')
  await held.stream.waitFor(/"id":2/)
  t.equal((await request(`${server.url}/health`)).status, 200, 'liveness is unaffected')
  fresh.stream.close()
  await nothingLeaked(t, server, 1)
})
