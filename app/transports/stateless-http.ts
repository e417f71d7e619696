import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HttpError, RpcCode } from '../http/errors.js'
import { holdOf } from '../http/input-bounds.js'
import { isRequest } from '../protocol.js'
import { hijack } from '../sessions/hijack.js'
import type { ServerFactory } from '../sessions/registry.js'
import { parseMessages, refuseBatchOn, requireJson } from './json-rpc.js'
import { StreamableHttpTransport } from './streamable-http-transport.js'

export interface StatelessOptions {
  createServer: ServerFactory
  heartbeatMs: number
  /** Where this service keeps sessions (MCP_SESSION_URL, with its base path), named in every refusal. */
  sessionUrl: string | undefined
}

/**
 * The answer of a stateless server (MCP_STATELESS=true) to what only a session can serve: a legacy SSE
 * stream, the GET stream or a DELETE of a Streamable HTTP session. It names where sessions are served.
 */
export function sessionElsewhere(status: number, what: string, path: string, sessionUrl: string | undefined): HttpError {
  const where = sessionUrl ? `use ${sessionUrl}${path}` : 'use the URL of this service that keeps sessions (the container)'
  return new HttpError(status, `${what} needs a session, and this server keeps none (MCP_STATELESS=true): ${where}`, RpcCode.server, status === 405 ? { allow: 'POST' } : {})
}

/**
 * A 2025 Streamable HTTP POST served without a session (MCP_STATELESS=true), as the SDK's stateless legacy
 * fallback serves it (server dist index.mjs, `createLegacyStatelessFallback`: a fresh server per POST and no
 * Mcp-Session-Id), but on our own write path: a server built for the POST answers it over a
 * StreamableHttpTransport without a session id, through a BoundedStream, and is dropped when the answer is
 * written or the client leaves. An `initialize` is answered and forgotten, so the next POST is served by a
 * server that knows nothing of the client: what needs the client's capabilities or a second message on the
 * same server (2025 sampling, the GET stream) cannot work here and is refused with where sessions are.
 * Counted as MCP 2026-07-28 requests are (the task's cap, the key's requests in flight).
 */
export function statelessHttp(app: FastifyInstance, { createServer, heartbeatMs }: StatelessOptions) {
  return async function serveStateless(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const messages = parseMessages(request.body)
    const version = request.headers['mcp-protocol-version']
    refuseBatchOn(typeof version === 'string' ? version : undefined, request.body)
    app.metrics.messages.inc({ transport: 'streamable-http' }, messages.length)
    const requestIds = messages.filter(isRequest).map((message) => message.id)
    // Notifications and responses name nothing that lives on here (no session, no request waiting for them).
    if (requestIds.length === 0) return void reply.code(202).send()
    const release = app.modernRequests.admit(holdOf(request), requestIds.length)
    const transport = new StreamableHttpTransport(undefined)
    const server = createServer(request.principal, undefined, request.log)
    await server.connect(transport)
    const stream = app.sessions.bound(request.principal, hijack(reply), request.log)
    // No registry sweep beats for a POST that belongs to no session: its own heartbeat keeps a silent call alive.
    const heartbeat = setInterval(() => transport.heartbeat(), heartbeatMs)
    stream.whenEnded(() => {
      clearInterval(heartbeat)
      release()
      void server.close()
    })
    transport.answer(messages, requestIds, stream, Array.isArray(request.body))
  }
}

/** Legacy HTTP+SSE on a stateless server: both of its routes need a session, so both say where sessions are. */
export async function statelessSseRoutes(app: FastifyInstance, { sessionUrl }: { sessionUrl: string | undefined }) {
  app.get('/sse', async () => {
    throw sessionElsewhere(404, 'Legacy HTTP+SSE (GET /sse)', '/sse', sessionUrl)
  })
  app.post('/messages', { onRequest: requireJson }, async () => {
    throw sessionElsewhere(404, 'Legacy HTTP+SSE (POST /messages)', '/sse', sessionUrl)
  })
}
