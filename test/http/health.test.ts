import t from 'tap'
import { ALICE, startServer } from '../helpers/server.js'
import { bearer, openSse, request } from '../helpers/http.js'

t.test('GET /health: 200 {"status":"ok"} without a key, never cached', async (t) => {
  const server = await startServer(t)
  for (const headers of [{}, bearer('wrong-secret-0123456789'), bearer(ALICE)]) {
    const response = await request(`${server.url}/health`, { headers })
    t.equal(response.status, 200)
    t.match(response.headers.get('content-type'), /^application\/json/)
    t.equal(response.headers.get('cache-control'), 'no-store')
    t.same(await response.json(), { status: 'ok' })
  }
})

t.test('HEAD /health: 200 with the headers and no body', async (t) => {
  const server = await startServer(t)
  const response = await request(`${server.url}/health`, { method: 'HEAD' })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^application\/json/)
  t.equal(await response.text(), '')
})

t.test('/health stays 200 while an IP is locked out for failed keys, and while draining', async (t) => {
  const server = await startServer(t, { MCP_AUTH_FAILURES_PER_MIN: '1' })
  for (let attempt = 0; attempt < 3; attempt++) await (await request(`${server.url}/sse`)).body?.cancel()
  t.equal((await request(`${server.url}/sse`)).status, 429, 'this IP is rate-limited for failed keys')
  t.equal((await request(`${server.url}/health`)).status, 200, 'liveness unaffected')
  server.app.sessions.startDraining()
  t.equal((await request(`${server.url}/health`)).status, 200, 'a draining task is alive')
})

t.test('GET /ready: 200 while accepting sessions, 503 with the reason once draining', async (t) => {
  const server = await startServer(t)
  const { stream } = await openSse(t, server)
  const ready = await request(`${server.url}/ready`)
  t.equal(ready.status, 200)
  t.equal(ready.headers.get('cache-control'), 'no-store')
  t.same(await ready.json(), { status: 'ready' })
  server.app.sessions.startDraining()
  const draining = await request(`${server.url}/ready`)
  t.equal(draining.status, 503)
  t.same(await draining.json(), { status: 'unavailable', reasons: ['draining'] })
  t.notOk(stream.ended, 'the open stream is not cut by readiness')
})
