import t from 'tap'
import { ALICE, TRANSPORTS, connect, resultJson, startServer } from '../helpers/server.js'
import { INITIALIZE, PING, bearer, expectError, nothingLeaked, postJson, request, stillServes } from '../helpers/http.js'

const ALLOWED = 'https://console.example.com'

t.test('403 for an Origin that is not allowed, on every route that takes a key', async (t) => {
  const server = await startServer(t, { MCP_ALLOWED_ORIGINS: ALLOWED })
  for (const origin of ['https://evil.example', 'null', `${ALLOWED}.evil.example`, 'http://console.example.com']) {
    const headers = { ...bearer(ALICE), origin }
    await expectError(t, await request(`${server.url}/sse`, { headers }), 403)
    await expectError(t, await postJson(`${server.url}/mcp`, PING, headers), 403)
    await expectError(t, await postJson(`${server.url}/messages?sessionId=x`, PING, headers), 403)
  }
  t.match(server.logs.text, /"event":"origin_refused"/, 'refusals are logged')
  await stillServes(t, server)
  await nothingLeaked(t, server)
})

t.test('outside production a page on this machine may connect (any port); in production only MCP_ALLOWED_ORIGINS', async (t) => {
  const development = await startServer(t)
  for (const origin of ['http://localhost:6274', 'http://127.0.0.1:5173', 'http://localhost']) {
    const answer = await postJson(`${development.url}/mcp`, INITIALIZE, { ...bearer(ALICE), origin })
    t.equal(answer.status, 200, `${origin} is served in development`)
    await answer.arrayBuffer()
  }
  for (const origin of ['http://localhost.evil.example', 'http://127.0.0.1.evil.example:80', 'https://evil.example']) {
    await expectError(t, await postJson(`${development.url}/mcp`, INITIALIZE, { ...bearer(ALICE), origin }), 403)
  }
  const production = await startServer(t, { NODE_ENV: 'production' })
  await expectError(t, await postJson(`${production.url}/mcp`, INITIALIZE, { ...bearer(ALICE), origin: 'http://localhost:6274' }), 403)
  await stillServes(t, production)
})

t.test('Origin is checked before the key: a disallowed Origin gets 403 with or without a key', async (t) => {
  const server = await startServer(t)
  await expectError(t, await request(`${server.url}/sse`, { headers: { origin: 'https://evil.example' } }), 403)
  await expectError(t, await request(`${server.url}/sse`, { headers: { ...bearer(ALICE), origin: 'https://evil.example' } }), 403)
})

for (const transport of TRANSPORTS) {
  t.test(`an allowed Origin passes and so does no Origin (${transport})`, async (t) => {
    const server = await startServer(t, { MCP_ALLOWED_ORIGINS: `https://other.example, ${ALLOWED}` })
    const browser = await connect(t, server.url, ALICE, transport, { headers: { Origin: ALLOWED } })
    t.equal(resultJson(await browser.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'allowed Origin served')
    const cli = await connect(t, server.url, ALICE, transport)
    t.equal(resultJson(await cli.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'no Origin served')
    await t.rejects(connect(t, server.url, ALICE, transport, { headers: { Origin: 'https://evil.example' } }), 'the same client with a foreign Origin is refused')
    await nothingLeaked(t, server, 2)
  })
}

t.test('security headers are set on answers, including error answers and the streams the transports write', async (t) => {
  const server = await startServer(t)
  const answers = {
    health: await request(`${server.url}/health`),
    'error (401)': await request(`${server.url}/sse`),
    'legacy SSE stream': await request(`${server.url}/sse`, { headers: bearer(ALICE) }),
    'Streamable HTTP answer': await postJson(`${server.url}/mcp`, INITIALIZE, bearer(ALICE)),
  }
  for (const [what, response] of Object.entries(answers)) {
    t.equal(response.headers.get('x-content-type-options'), 'nosniff', what)
    t.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN', what)
    t.match(response.headers.get('content-security-policy'), /default-src 'self'/, `${what}: a content security policy`)
    await response.body?.cancel()
  }
  await nothingLeaked(t, server, 1)
})
