import t from 'tap'
import { ALICE, TRANSPORTS, connect, resultJson, startServer } from '../helpers/server.js'
import { PING, bearer, expectError, nothingLeaked, openSse, postJson, request } from '../helpers/http.js'

const BASE = { MCP_BASE_PATH: '/team-a' }

t.test('MCP_BASE_PATH: the SSE endpoint event names the prefixed messages path, which works', async (t) => {
  const server = await startServer(t, BASE)
  t.match(server.url, /\/team-a$/)
  const { stream, endpoint, sessionId } = await openSse(t, server)
  t.equal(endpoint, `/team-a/messages?sessionId=${sessionId}`)
  // A client resolves the endpoint against the stream's URL, exactly like this.
  const posted = await postJson(new URL(endpoint, server.url).href, PING, bearer(ALICE))
  t.equal(posted.status, 202)
  await stream.waitFor(/"id":2/)
})

t.test('MCP_BASE_PATH: every route moves under the prefix and nothing stays at the root', async (t) => {
  const server = await startServer(t, BASE)
  const origin = new URL(server.url).origin
  for (const path of ['/health', '/ready', '/metrics']) {
    t.equal((await request(`${server.url}${path}`)).status, 200, `/team-a${path}`)
    await expectError(t, await request(`${origin}${path}`), 404)
  }
  for (const path of ['/sse', '/mcp']) await expectError(t, await request(`${origin}${path}`, { headers: bearer(ALICE) }), 404)
  await expectError(t, await postJson(`${origin}/messages?sessionId=x`, PING, bearer(ALICE)), 404)
  t.equal((await request(`${server.url}/sse`)).status, 401, 'the prefixed route asks for a key')
})

t.test('MCP_BASE_PATH with a trailing slash is the same prefix', async (t) => {
  const server = await startServer(t, { MCP_BASE_PATH: '/team-a/' })
  const { endpoint } = await openSse(t, server)
  t.match(endpoint, /^\/team-a\/messages\?sessionId=/)
})

for (const transport of TRANSPORTS) {
  t.test(`MCP_BASE_PATH: the SDK client works over ${transport}`, async (t) => {
    const server = await startServer(t, BASE)
    const client = await connect(t, server.url, ALICE, transport)
    t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
    t.same(await client.ping(), {})
    await client.close()
    if (transport === 'sse') await nothingLeaked(t, server)
  })
}
