import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import { RELAY_HEADER, bodyDigest, forwardedHeaders, signRelay } from '../../app/sessions/relay.js'
import { INITIALIZE, JSON_HEADERS, expectError, request as bounded, type Tap } from '../helpers/http.js'
import { KEYS, connect, resultJson } from '../helpers/server.js'
import { SESSION_SECRET, counter, freePort, startTask, type Task } from '../helpers/processes.js'

// A dotted key name: the relay header must carry any name a key may have.
const CAROL = 'carol-secret-0123456789abc'
const RELAY_KEYS = `${KEYS},team.carol:${CAROL}`

interface Captured {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * A man in the middle on the owner's peer address: it records every relayed request and forwards it, or
 * swallows it (answers 502 itself), so that a genuine signature reaches the test unused.
 */
async function startCapture(t: Tap, peerPort: number) {
  const captured: Captured[] = []
  const state = { swallow: false }
  const server = createServer((incoming, answer) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks)
      captured.push({ method: incoming.method!, url: incoming.url!, headers: incoming.headers, body })
      if (state.swallow) return answer.writeHead(502).end()
      const upstream = request({ host: '127.0.0.1', port: peerPort, method: incoming.method, path: incoming.url, headers: incoming.headers }, (response) => {
        answer.writeHead(response.statusCode!, response.headers)
        response.pipe(answer)
      })
      upstream.on('error', () => answer.destroy())
      upstream.end(body)
    })
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { port, captured, state, last: () => captured[captured.length - 1] }
}

/** Sends a (captured or hand-made) relayed request straight to the owner's peer port. */
function toPeer(owner: Task, { method, url, headers, body }: Captured) {
  const sent = Object.fromEntries(Object.entries(headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>
  return bounded(`http://127.0.0.1:${owner.peerPort}${url}`, { method, headers: sent, body: method === 'GET' ? undefined : body })
}

/** A relayed request signed here with the shared secret, as a relaying task would sign it at `now`. */
function signed(method: string, url: string, sessionId: string, body: unknown, given: Record<string, string>, now = Date.now()): Captured {
  // fetch would add a User-Agent of its own, which the signature covers: name one.
  const headers = { 'user-agent': 'relay-signature-test', ...given }
  const bytes = Buffer.from(body === undefined ? '' : JSON.stringify(body))
  const relay = signRelay(SESSION_SECRET, 'team.carol', { method, url, sessionId, headers: forwardedHeaders(headers), bodyDigest: bodyDigest(bytes) }, now)
  return { method, url, headers: { ...headers, [RELAY_HEADER]: relay }, body: bytes }
}

const ownerPeerPort = await freePort()
const capture = await startCapture(t, ownerPeerPort)
const owner = await startTask(t, { MCP_API_KEYS: RELAY_KEYS, MCP_PEER_ADDRESS: `127.0.0.1:${capture.port}` }, { port: await freePort(), peerPort: ownerPeerPort })
const relayer = await startTask(t, { MCP_API_KEYS: RELAY_KEYS })
const sessionsOpen = () => counter(owner, 'mcp_sessions_open')

// Sessions of the dotted key, held by the owner; the relayer reaches them only through the capture.
const client = await connect(t, owner.url, CAROL, 'streamable-http')
const { sessionId } = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
const legacy = await connect(t, owner.url, CAROL, 'sse')
const { sessionId: legacyId } = resultJson(await legacy.callTool({ name: 'whoami', arguments: {} }))
const listTools = { jsonrpc: '2.0', id: 7, method: 'tools/list' }
const viaRelayer = (body: unknown = listTools) =>
  bounded(`${relayer.url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${CAROL}`, 'mcp-session-id': sessionId }, body: JSON.stringify(body) })

async function goodClientsStillWork(t: Tap, baseline: number) {
  t.equal(await sessionsOpen(), baseline, 'no session opened or lost on the owner')
  t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'team.carol', 'the owner’s client still works')
  const response = await viaRelayer()
  t.equal(response.status, 200, 'a fresh relay of the same request still works')
  t.match(await response.text(), /"whoami"/)
}

t.test('a relayed request is accepted once: the captured request sent again gets 404', async (t) => {
  const baseline = await sessionsOpen()
  const relayed = await viaRelayer()
  t.equal(relayed.status, 200, 'Streamable HTTP: relayed through the capture (dotted principal)')
  t.match(await relayed.text(), /"whoami"/)
  t.comment('Streamable HTTP: the replay is 404')
  await expectError(t, await toPeer(owner, capture.last()), 404, -32001)

  const message = await bounded(`${relayer.url}/messages?sessionId=${legacyId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CAROL}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'ping' }),
  })
  t.equal(message.status, 202, 'legacy SSE: relayed through the capture')
  t.match(capture.last(), { method: 'POST', url: `/messages?sessionId=${legacyId}` })
  t.comment('legacy SSE: the replay is 404')
  await expectError(t, await toPeer(owner, capture.last()), 404, -32001)
  await goodClientsStillWork(t, baseline)
})

t.test('a signature is good only for its own method, path, session, forwarded headers and body', async (t) => {
  const other = await connect(t, owner.url, CAROL, 'streamable-http')
  const { sessionId: otherId } = resultJson(await other.callTool({ name: 'whoami', arguments: {} }))
  const baseline = await sessionsOpen()
  capture.state.swallow = true
  t.teardown(() => (capture.state.swallow = false))
  t.equal((await viaRelayer()).status, 502, 'the capture kept this signature from the owner')
  const original = capture.last()
  const mutations: Record<string, Captured> = {
    'another method': { ...original, method: 'GET' },
    'another path': { ...original, url: `${original.url}?sessionId=${sessionId}` },
    'another session': { ...original, headers: { ...original.headers, 'mcp-session-id': otherId } },
    'another protocol revision': { ...original, headers: { ...original.headers, 'mcp-protocol-version': '2025-03-26' } },
    'another Accept': { ...original, headers: { ...original.headers, accept: 'application/json' } },
    'a Last-Event-ID added': { ...original, headers: { ...original.headers, 'last-event-id': '7' } },
  }
  for (const [what, mutated] of Object.entries(mutations)) {
    t.comment(`${what}: 404`)
    await expectError(t, await toPeer(owner, mutated), 404, -32001)
  }
  // Signed for one session in the query while the header names another: the route would serve the header's.
  const twoSessions = signed('POST', `/mcp?sessionId=${sessionId}`, sessionId, listTools, { ...JSON_HEADERS, 'mcp-session-id': otherId })
  t.comment('two different sessions named: 404')
  await expectError(t, await toPeer(owner, twoSessions), 404, -32001)
  const genuine = await toPeer(owner, original)
  t.equal(genuine.status, 200, 'the untouched request with the same signature is served: the refusals were the bindings')
  t.match(await genuine.text(), /"whoami"/)
  t.comment('and only once')
  await expectError(t, await toPeer(owner, original), 404, -32001)

  t.equal((await viaRelayer()).status, 502, 'another signature kept from the owner')
  const withOtherBody = { ...capture.last(), body: Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami', arguments: {} } })) }
  t.comment('another body: 404')
  await expectError(t, await toPeer(owner, withOtherBody), 404, -32001)
  capture.state.swallow = false
  await goodClientsStillWork(t, baseline)
})

t.test('a signature outside its few seconds is refused; a fresh one made the same way is served', async (t) => {
  const baseline = await sessionsOpen()
  const headers = { ...JSON_HEADERS, 'mcp-session-id': sessionId }
  for (const [what, skew] of [['10 s old', -10_000], ['10 s ahead', 10_000], ['61 s old (the former window)', -61_000]] as const) {
    const response = await toPeer(owner, signed('POST', '/mcp', sessionId, listTools, headers, Date.now() + skew))
    t.comment(`${what}: 404`)
    await expectError(t, response, 404, -32001)
  }
  const fresh = await toPeer(owner, signed('POST', '/mcp', sessionId, listTools, headers))
  t.equal(fresh.status, 200, 'a fresh signature from the same code is served')
  t.match(await fresh.text(), /"whoami"/)
  await goodClientsStillWork(t, baseline)
})

t.test('the peer port serves no GET /sse and no initialize, even correctly signed: 404 and no session', async (t) => {
  const baseline = await sessionsOpen()
  const sse = await toPeer(owner, signed('GET', `/sse?sessionId=${legacyId}`, legacyId, undefined, { accept: 'text/event-stream' }))
  t.equal(sse.status, 404, 'GET /sse: 404')
  t.match(await sse.json(), { jsonrpc: '2.0', error: { message: /Not found/ } })
  const opened = await toPeer(owner, signed('POST', `/mcp?sessionId=${sessionId}`, sessionId, INITIALIZE, JSON_HEADERS))
  t.comment('initialize: 404')
  await expectError(t, opened, 404, -32001)
  t.notOk(opened.headers.get('mcp-session-id'), 'no session id was issued')
  await goodClientsStillWork(t, baseline)
})
