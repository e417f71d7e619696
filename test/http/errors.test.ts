import { request as httpRequest } from 'node:http'
import t from 'tap'
import { ALICE, startServer, type TestServer } from '../helpers/server.js'
import { type Tap, INITIALIZE, PING, bearer, expectError, initializeRaw, nothingLeaked, openSse, postJson, request, stillServes } from '../helpers/http.js'

/** The two POST endpoints that take JSON-RPC, each on a live session of its transport. */
async function postTargets(t: Tap, server: TestServer) {
  const sse = await openSse(t, server)
  const streamable = await initializeRaw(server)
  return {
    sse,
    targets: [
      { name: 'POST /messages', url: `${new URL(server.url).origin}${sse.endpoint}`, headers: bearer(ALICE) },
      { name: 'POST /mcp', url: `${server.url}/mcp`, headers: streamable.headers },
    ],
  }
}

/** Both sessions still answer: the SSE one on its stream, the Streamable HTTP one directly. */
async function sessionsStillWork(t: Tap, targets: { url: string; headers: Record<string, string> }[], sse: Awaited<ReturnType<typeof openSse>>) {
  const [messages, mcp] = targets
  t.equal((await postJson(messages.url, { ...PING, id: 'after' }, messages.headers)).status, 202, 'the SSE session takes a message')
  await sse.stream.waitFor(/"id":"after"/)
  const answered = await postJson(mcp.url, { ...PING, id: 'after' }, mcp.headers)
  t.equal(answered.status, 200, 'the Streamable HTTP session answers')
  t.match(await answered.text(), /"id":"after"/)
}

type Target = Awaited<ReturnType<typeof postTargets>>['targets'][number]

/** One bad-input row: its refusals, then proof that both sessions and a new client still work, nothing leaked. */
function badInputTest(name: string, env: Record<string, string>, refuse: (t: Tap, server: TestServer, targets: Target[]) => Promise<void>) {
  t.test(name, async (t) => {
    const server = await startServer(t, env)
    const { sse, targets } = await postTargets(t, server)
    await refuse(t, server, targets)
    await sessionsStillWork(t, targets, sse)
    await stillServes(t, server)
    await nothingLeaked(t, server, 2)
  })
}

badInputTest('415 for a body that is not declared JSON', {}, async (t, _server, targets) => {
  const ping = JSON.stringify(PING)
  for (const target of targets) {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await request(target.url, { method: 'POST', headers: { ...target.headers, 'content-type': contentType }, body: ping })
      await expectError(t, response, 415)
    }
    const untyped = await request(target.url, { method: 'POST', headers: target.headers, body: new TextEncoder().encode(ping) })
    await expectError(t, untyped, 415)
  }
})

badInputTest('400 -32700 for a body that is not JSON', {}, async (t, server, targets) => {
  for (const target of targets) {
    for (const body of ['{"jsonrpc":"2.0",', 'not json', '']) {
      await expectError(t, await postJson(target.url, body, target.headers), 400, -32700)
    }
  }
  await expectError(t, await postJson(`${server.url}/mcp`, '{', bearer(ALICE)), 400, -32700)
})

badInputTest('400 -32600 for JSON that is not a JSON-RPC message', {}, async (t, server, targets) => {
  const notRpc = [{ hello: 'world' }, { jsonrpc: '1.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 1 }, 42, 'ping']
  for (const target of targets) {
    for (const body of notRpc) await expectError(t, await postJson(target.url, JSON.stringify(body), target.headers), 400, -32600)
  }
  const [, mcp] = targets
  await expectError(t, await postJson(mcp.url, [], mcp.headers), 400, -32600)
  await expectError(t, await postJson(mcp.url, [PING, { nope: true }], mcp.headers), 400, -32600)
  await expectError(t, await postJson(`${server.url}/mcp`, PING, bearer(ALICE)), 400, -32600)
})

badInputTest('413 for a body over MCP_MAX_BODY_BYTES', { MCP_MAX_BODY_BYTES: '1024' }, async (t, server, targets) => {
  const big = { ...PING, params: { padding: 'x'.repeat(2048) } }
  for (const target of targets) await expectError(t, await postJson(target.url, big, target.headers), 413)
  const opening = await postJson(`${server.url}/mcp`, { ...INITIALIZE, params: { ...INITIALIZE.params, padding: 'x'.repeat(2048) } }, bearer(ALICE))
  await expectError(t, opening, 413)
})

t.test('413 arrives before the server reads the rest of an oversized body', async (t) => {
  const server = await startServer(t, { MCP_MAX_BODY_BYTES: '1024' })
  const { hostname, port } = new URL(server.url)
  const declared = 50 * 1024 * 1024
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = httpRequest({
      host: hostname,
      port,
      method: 'POST',
      path: '/mcp',
      headers: { ...bearer(ALICE), 'content-type': 'application/json', 'content-length': declared },
      timeout: 10_000,
    })
    outgoing.on('response', (response) => {
      let body = ''
      response.on('data', (chunk) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      response.on('error', reject)
    })
    outgoing.on('timeout', () => reject(new Error('no answer while the body was still unsent')))
    outgoing.on('error', reject)
    // Only the first kilobyte of the 50 MiB ever leaves: the answer must not wait for the rest.
    outgoing.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + 'x'.repeat(1024))
    t.teardown(() => outgoing.destroy())
  })
  t.equal(answer.status, 413)
  t.match(JSON.parse(answer.body), { jsonrpc: '2.0', id: null, error: { code: -32000 } })
  await stillServes(t, server)
  await nothingLeaked(t, server)
})

t.test('unknown routes, OAuth discovery and registration paths get a JSON 404 without any key', async (t) => {
  const server = await startServer(t)
  const probes = [
    ['GET', '/.well-known/oauth-authorization-server'],
    ['GET', '/.well-known/oauth-protected-resource'],
    ['GET', '/.well-known/oauth-protected-resource/sse'],
    ['GET', '/.well-known/openid-configuration'],
    ['POST', '/register'],
    ['GET', '/authorize'],
    ['POST', '/token'],
    ['GET', '/no-such-route'],
    ['PUT', '/mcp'],
  ]
  for (const [method, path] of probes) {
    for (const headers of [{}, bearer('wrong-secret-0123456789')]) {
      const response = await request(`${server.url}${path}`, { method, headers, ...(method === 'GET' ? {} : { body: '{}' }) })
      t.equal(response.headers.get('www-authenticate'), null, `${method} ${path}: no auth challenge`)
      const body = await expectError(t, response, 404)
      t.match(body.error.message, /no OAuth/, `${method} ${path}: says there is no OAuth here`)
    }
  }
  await stillServes(t, server)
  await nothingLeaked(t, server)
})
