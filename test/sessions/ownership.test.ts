import t from 'tap'
import { ALICE, BOB, startServer, type TestServer } from '../helpers/server.js'
import { type Tap, PING, bearer, expectError, initializeRaw, nothingLeaked, openSse, postJson, request, stillServes } from '../helpers/http.js'

/** What a request for a session that does not exist gets; every other 404 must look exactly like it. */
async function unknownSessionBody(t: Tap, server: TestServer) {
  return expectError(t, await postJson(`${server.url}/messages?sessionId=no-such-session`, PING, bearer(ALICE)), 404, -32001)
}

/** Sends the Streamable HTTP requests a client can make on a session (POST, GET stream, DELETE). */
function streamableRequests(server: TestServer, headers: Record<string, string>) {
  return [
    () => postJson(`${server.url}/mcp`, PING, headers),
    () => request(`${server.url}/mcp`, { headers: { ...headers, accept: 'text/event-stream' } }),
    () => request(`${server.url}/mcp`, { method: 'DELETE', headers }),
  ]
}

t.test('404 -32001 for unknown and forged session ids on both transports', async (t) => {
  const server = await startServer(t)
  const expected = await unknownSessionBody(t, server)
  const real = await initializeRaw(server)
  const [version, owner, nonce] = real.sessionId.split('.')
  const forged = [`${version}.${owner}.${nonce}.AAAAAAAAAAAAAAAAAAAAAA`, `${version}.${owner}.${nonce.slice(1)}x.${real.sessionId.split('.')[3]}`, 'v1.a.b.c', 'x'.repeat(512)]
  for (const id of forged) {
    t.same(await expectError(t, await postJson(`${server.url}/messages?sessionId=${id}`, PING, bearer(ALICE)), 404, -32001), expected, 'SSE: same body')
    for (const send of streamableRequests(server, { ...bearer(ALICE), 'mcp-session-id': id })) {
      t.same(await expectError(t, await send(), 404, -32001), expected, 'Streamable HTTP: same body')
    }
  }
  await stillServes(t, server)
  await nothingLeaked(t, server, 1)
})

t.test('404 for an ended session: SSE after its stream closed, Streamable HTTP after DELETE', async (t) => {
  const server = await startServer(t)
  const expected = await unknownSessionBody(t, server)
  const sse = await openSse(t, server)
  t.equal((await postJson(`${server.url}/messages?sessionId=${sse.sessionId}`, PING, bearer(ALICE))).status, 202, 'live before')
  sse.stream.close()
  await nothingLeaked(t, server)
  t.same(await expectError(t, await postJson(`${server.url}/messages?sessionId=${sse.sessionId}`, PING, bearer(ALICE)), 404, -32001), expected)

  const streamable = await initializeRaw(server)
  const deleted = await request(`${server.url}/mcp`, { method: 'DELETE', headers: streamable.headers })
  t.equal(deleted.status, 200, 'DELETE ends the session')
  await nothingLeaked(t, server)
  for (const send of streamableRequests(server, streamable.headers)) t.same(await expectError(t, await send(), 404, -32001), expected)
  await stillServes(t, server)
})

for (const [owner, intruder, ownerName, intruderName] of [
  [ALICE, BOB, 'alice', 'bob'],
  [BOB, ALICE, 'bob', 'alice'],
] as const) {
  t.test(`${intruderName} can neither see nor drive ${ownerName}'s SSE session`, async (t) => {
    const server = await startServer(t)
    const expected = await unknownSessionBody(t, server)
    const { stream, sessionId } = await openSse(t, server, owner)
    const probe = { jsonrpc: '2.0', id: 'intruder-call', method: 'tools/call', params: { name: 'whoami', arguments: {} } }
    const refused = await postJson(`${server.url}/messages?sessionId=${sessionId}`, probe, bearer(intruder))
    t.same(await expectError(t, refused, 404, -32001), expected, 'indistinguishable from an unknown session')
    const foreign = server.logs.records().find((record) => record.event === 'foreign_session')
    t.match(foreign, { principal: intruderName, owner: ownerName, level: 40 }, 'logged as a security event')
    // The owner's next answer arrives after anything the intruder's message could have caused.
    t.equal((await postJson(`${server.url}/messages?sessionId=${sessionId}`, { ...PING, id: 'owner-ping' }, bearer(owner))).status, 202)
    await stream.waitFor(/"id":"owner-ping"/)
    t.notMatch(stream.text, /intruder-call/, 'nothing of the intruder reached the stream')
    await stillServes(t, server, intruder)
    await nothingLeaked(t, server, 1)
  })

  t.test(`${intruderName} can neither see nor drive ${ownerName}'s Streamable HTTP session`, async (t) => {
    const server = await startServer(t)
    const expected = await unknownSessionBody(t, server)
    const { sessionId, headers } = await initializeRaw(server, owner)
    for (const send of streamableRequests(server, { ...headers, ...bearer(intruder) })) {
      t.same(await expectError(t, await send(), 404, -32001), expected, 'indistinguishable from an unknown session')
    }
    t.equal(server.logs.records().filter((record) => record.event === 'foreign_session' && record.principal === intruderName).length, 3, 'each attempt logged')
    const still = await postJson(`${server.url}/mcp`, { jsonrpc: '2.0', id: 'owner-call', method: 'tools/call', params: { name: 'whoami', arguments: {} } }, headers)
    t.equal(still.status, 200, 'the owner still drives the session (the intruder DELETE did nothing)')
    const text = await still.text()
    t.match(text, new RegExp(`\\\\"principal\\\\":\\\\"${ownerName}\\\\"`), 'as its owner')
    t.match(text, sessionId, 'in the same session')
    await stillServes(t, server, intruder)
    await nothingLeaked(t, server, 1)
  })
}
