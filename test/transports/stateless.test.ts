import t from 'tap'
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { catalogNames } from '../../app/mcp/catalog.js'
import { ALICE, connect, resultJson, startServer } from '../helpers/server.js'
import { bearer, expectError, postJson, request, INITIALIZE } from '../helpers/http.js'
import { eventually } from '../helpers/processes.js'

const STATELESS = { MCP_STATELESS: 'true', MCP_SESSION_URL: 'https://sessions.example.com' }

t.test('MCP_STATELESS=true: a default (2025) client is served, every POST on its own, and no session is kept', async (t) => {
  const server = await startServer(t, STATELESS)
  const client = await connect(t, server.url, ALICE, 'streamable-http')
  t.equal(client.getProtocolEra(), 'legacy')
  t.equal((client.transport as StreamableHTTPClientTransport).sessionId, undefined, 'no Mcp-Session-Id was minted')
  t.equal((await client.listTools()).tools.length, catalogNames.tools.length)
  t.same((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent, { sum: 5 })
  t.same(resultJson(await client.callTool({ name: 'whoami', arguments: {} })), { principal: 'alice', client: null }, 'the principal; no session, and no client identity (its initialize went to another server)')
  const progress: number[] = []
  await client.callTool({ name: 'long_task', arguments: { steps: 3, stepMs: 20 } }, { onprogress: (p) => progress.push(p.progress) })
  t.same(progress, [1, 2, 3], 'progress on the call’s own answer')
  t.equal(server.app.sessions.size, 0, 'no session was opened')
  t.ok(await eventually(() => server.app.modernRequests.size === 0), 'nothing left in flight')
  t.match(server.logs.records().find((record) => record.event === 'tool_call' && record.tool === 'add'), { principal: 'alice', outcome: 'ok' }, 'audited as in a session')
})

t.test('MCP_STATELESS=true: what needs a session answers where sessions are, and a good client is served afterwards', async (t) => {
  const server = await startServer(t, STATELESS)
  const get = await request(`${server.url}/mcp`, { headers: { ...bearer(ALICE), accept: 'text/event-stream' } })
  t.equal(get.headers.get('allow'), 'POST')
  t.match((await expectError(t, get, 405)).error.message, 'GET /mcp needs a session, and this server keeps none (MCP_STATELESS=true): use https://sessions.example.com/mcp')
  const del = await request(`${server.url}/mcp`, { method: 'DELETE', headers: { ...bearer(ALICE), 'mcp-session-id': 'v1.x.y.z' } })
  t.match((await expectError(t, del, 405)).error.message, 'DELETE /mcp needs a session')
  const sse = await request(`${server.url}/sse`, { headers: bearer(ALICE) })
  t.match((await expectError(t, sse, 404)).error.message, 'Legacy HTTP+SSE (GET /sse) needs a session, and this server keeps none (MCP_STATELESS=true): use https://sessions.example.com/sse')
  const messages = await postJson(`${server.url}/messages?sessionId=abc`, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, bearer(ALICE))
  t.match((await expectError(t, messages, 404)).error.message, 'Legacy HTTP+SSE (POST /messages) needs a session')
  const legacy = new Client({ name: 'sse', version: '1' }, { capabilities: {} })
  await t.rejects(legacy.connect(new SSEClientTransport(new URL(`${server.url}/sse`), { requestInit: { headers: bearer(ALICE) } })), 'an SSE client cannot connect')
  const notification = await postJson(`${server.url}/mcp`, { jsonrpc: '2.0', method: 'notifications/initialized' }, bearer(ALICE))
  t.equal(notification.status, 202, 'a notification is accepted and names nothing')
  const batch = await postJson(`${server.url}/mcp`, [INITIALIZE, { jsonrpc: '2.0', id: 2, method: 'tools/list' }], { ...bearer(ALICE), 'mcp-protocol-version': '2025-11-25' })
  await expectError(t, batch, 400, -32600)
  const client = await connect(t, server.url, ALICE, 'streamable-http', { capabilities: { sampling: {} } })
  const summary = await client.callTool({ name: 'summarize', arguments: { text: 'Some text to summarize, long enough.' } })
  t.equal(summary.isError, true)
  t.match(summary.content, [{ type: 'text', text: 'summarize needs a session on 2025 clients (sampling), and this server keeps none: connect to https://sessions.example.com/mcp' }])
  t.same((await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } })).structuredContent, { sum: 2 }, 'a good client is still served')
  t.equal(server.app.sessions.size, 0)
})

t.test('MCP_STATELESS=true: a pinned MCP 2026-07-28 client is served as without it', async (t) => {
  const server = await startServer(t, STATELESS)
  const client = new Client({ name: 'modern', version: '1' }, { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: bearer(ALICE) } }))
  t.teardown(() => client.close())
  t.same((await client.callTool({ name: 'add', arguments: { a: 2, b: 2 } })).structuredContent, { sum: 4 })
  t.equal(server.app.sessions.size, 0)
})

t.test('without MCP_SESSION_URL the refusals still say what to do', async (t) => {
  const server = await startServer(t, { MCP_STATELESS: 'true' })
  const sse = await request(`${server.url}/sse`, { headers: bearer(ALICE) })
  t.match((await expectError(t, sse, 404)).error.message, 'use the URL of this service that keeps sessions (the container)')
})
