/**
 * The physical limit: plain `node:http` speaking just enough MCP for the benchmark (endpoint event,
 * initialize, tools/list, one tool, 202 on POST with the answer on the stream, Streamable HTTP with JSON
 * answers, MCP 2026-07-28 requests answered without a session), with the same API-key check. No validation beyond JSON.parse, no logging: whatever a real
 * server spends above this is the price of its features.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { findKey, parseApiKeys, type ApiKey } from '../../app/keys.js'
import whoami from '../../app/mcp/tools/whoami.js'

interface Message {
  jsonrpc: '2.0'
  id?: number | string
  method?: string
  params?: { protocolVersion?: string; name?: string; _meta?: Record<string, unknown> }
}

const keys = parseApiKeys(process.env.MCP_API_KEYS ?? '')
const port = Number(process.env.PORT ?? 3000)
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' }
const NO_CLIENT_INFO = { server: { getClientVersion: () => undefined } }
const TOOL = { name: whoami.name, description: whoami.description, inputSchema: { type: 'object', properties: {} } }

/** Legacy SSE streams by session id; Streamable HTTP sessions with their optional GET stream. */
const sseStreams = new Map<string, ServerResponse>()
const httpSessions = new Map<string, { stream?: ServerResponse }>()

async function answer(message: Message, principal: ApiKey, sessionId: string | undefined): Promise<unknown> {
  const reply = (result: unknown) => ({ jsonrpc: '2.0', id: message.id, result })
  switch (message.method) {
    case 'initialize':
      return reply({ protocolVersion: message.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'limit', version: '1.0.0' } })
    case 'tools/list':
      return reply({ tools: [TOOL] })
    case 'tools/call':
      // No MCP server here: whoami asks this stand-in for the client, as it asks a session's server.
      if (message.params?.name === whoami.name) return reply(await whoami.run({}, { principal, sessionId, server: NO_CLIENT_INFO } as never))
      break
    case 'ping':
      return reply({})
  }
  return { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } }
}

async function readJson(req: IncomingMessage): Promise<Message> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString())
}

function json(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? undefined : JSON.stringify(body))
}

function openStream(res: ServerResponse, onClose: () => void) {
  res.writeHead(200, SSE_HEADERS).flushHeaders()
  res.on('close', onClose)
}

async function legacySse(req: IncomingMessage, res: ServerResponse, url: URL, principal: ApiKey) {
  if (req.method === 'GET') {
    const id = randomUUID()
    sseStreams.set(id, res)
    openStream(res, () => sseStreams.delete(id))
    res.write(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`)
    return
  }
  const id = url.searchParams.get('sessionId') ?? ''
  const stream = sseStreams.get(id)
  if (!stream) return json(res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } })
  const message = await readJson(req)
  json(res, 202)
  if (message.id !== undefined) stream.write(`event: message\ndata: ${JSON.stringify(await answer(message, principal, id))}\n\n`)
}

async function streamableHttp(req: IncomingMessage, res: ServerResponse, principal: ApiKey) {
  const given = req.headers['mcp-session-id'] as string | undefined
  const session = given ? httpSessions.get(given) : undefined
  if (given && !session) return json(res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } })
  if (req.method === 'GET' && session) {
    session.stream = res
    return openStream(res, () => (session.stream = undefined))
  }
  if (req.method === 'DELETE' && session) {
    session.stream?.end()
    httpSessions.delete(given!)
    return json(res, 200)
  }
  const message = await readJson(req)
  // MCP 2026-07-28: a self-describing request, answered without a session.
  if (!session && message.params?._meta?.['io.modelcontextprotocol/protocolVersion']) return json(res, 200, await answer(message, principal, undefined))
  if (!session) {
    if (message.method !== 'initialize') return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request' } })
    const id = randomUUID()
    httpSessions.set(id, {})
    return json(res, 200, await answer(message, principal, id), { 'mcp-session-id': id })
  }
  if (message.id === undefined) return json(res, 202)
  json(res, 200, await answer(message, principal, given!))
}

const server = createServer((req, res) => {
  const authorization = req.headers.authorization
  const principal = authorization?.startsWith('Bearer ') ? findKey(keys, authorization.slice(7).trim()) : undefined
  if (!principal) return json(res, 401, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Unauthorized' } })
  const url = new URL(req.url ?? '/', 'http://localhost')
  const route =
    url.pathname === '/sse' || url.pathname === '/messages' ? legacySse(req, res, url, principal)
    : url.pathname === '/mcp' ? streamableHttp(req, res, principal)
    : Promise.resolve(json(res, 404))
  route.catch(() => res.headersSent ? res.destroy() : json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }))
})
server.listen(port, '127.0.0.1', () => console.log(`limit server on 127.0.0.1:${port}`))
process.on('SIGTERM', () => process.exit(0))
