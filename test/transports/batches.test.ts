import t from 'tap'
import { ALICE, startServer, type TestServer } from '../helpers/server.js'
import { INITIALIZE, bearer, expectError, nothingLeaked, postJson, stillServes } from '../helpers/http.js'

const ping = (id: number) => ({ jsonrpc: '2.0', id, method: 'ping' })

/** A session initialized at the given revision; the headers its later requests need. */
async function sessionAt(server: TestServer, protocolVersion: string) {
  const response = await postJson(`${server.url}/mcp`, { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion } }, bearer(ALICE))
  const answer = await response.text()
  if (response.status !== 200) throw new Error(`initialize answered ${response.status}`)
  const negotiated = /"protocolVersion":"([^"]+)"/.exec(answer)?.[1]
  return { negotiated, headers: { ...bearer(ALICE), 'mcp-session-id': response.headers.get('mcp-session-id')!, 'mcp-protocol-version': protocolVersion } }
}

for (const version of ['2025-06-18', '2025-11-25']) {
  t.test(`a batch on a ${version} session (batching removed in 2025-06-18) is answered 400 -32600`, async (t) => {
    const server = await startServer(t)
    const { negotiated, headers } = await sessionAt(server, version)
    t.equal(negotiated, version, 'the session negotiated that revision')
    const refused = await expectError(t, await postJson(`${server.url}/mcp`, [ping(1), ping(2)], headers), 400, -32600)
    t.match(refused.error.message, /batches are not supported on protocol/)
    const single = await postJson(`${server.url}/mcp`, ping(3), headers)
    t.equal(single.status, 200, 'a single message on the same session is served')
    t.match(await single.text(), /"id":3/)
    t.equal((await fetch(`${server.url}/mcp`, { method: 'DELETE', headers })).status, 200)
    await nothingLeaked(t, server)
    await stillServes(t, server)
  })
}

t.test('an initialize sent as a batch at 2025-06-18 is refused and opens no session', async (t) => {
  const server = await startServer(t)
  const batch = [{ ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '2025-06-18' } }]
  const response = await postJson(`${server.url}/mcp`, batch, bearer(ALICE))
  t.equal(response.headers.get('mcp-session-id'), null, 'no session id handed out')
  await expectError(t, response, 400, -32600)
  await nothingLeaked(t, server)
  await stillServes(t, server)
})

t.test('a batch on a 2025-03-26 session (which requires batching) is served, every answer on the stream', async (t) => {
  const server = await startServer(t)
  const { negotiated, headers } = await sessionAt(server, '2025-03-26')
  t.equal(negotiated, '2025-03-26')
  const response = await postJson(`${server.url}/mcp`, [ping(1), ping(2)], headers)
  t.equal(response.status, 200)
  const text = await response.text()
  t.match(text, /"id":1\}/, 'the first answer')
  t.match(text, /"id":2\}/, 'the second answer')
  t.equal((await fetch(`${server.url}/mcp`, { method: 'DELETE', headers })).status, 200)
  await nothingLeaked(t, server)
  await stillServes(t, server)
})
