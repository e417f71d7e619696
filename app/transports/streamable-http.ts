import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import type { Config } from '../config.js'
import { invalidRequest, sessionNotFound } from '../http/errors.js'
import type { Session } from '../sessions/registry.js'
import { hijack } from './hijack.js'
import { parseMessages, requireJson } from './json-rpc.js'
import { relayOrNotFound } from './relay-or-not-found.js'

/**
 * Streamable HTTP (2025-11-25, down to 2025-03-26) on `/mcp`, sessions named by `Mcp-Session-Id`. One route
 * serves both an initialize and requests on a session, so the peer port mounts it with `opensSessions: false`.
 */
export default async function streamableHttpRoutes(app: FastifyInstance, { config, opensSessions = true }: { config: Config; opensSessions?: boolean }) {
  async function handle(session: Session, request: FastifyRequest, reply: FastifyReply, body?: unknown) {
    if (body !== undefined) app.metrics.messages.inc({ transport: 'streamable-http' }, Array.isArray(body) ? body.length : 1)
    const response = hijack(reply)
    app.sessions.track(session, response)
    await (session.transport as StreamableHTTPServerTransport).handleRequest(request.raw, response, body)
  }

  /** Serves a request on an existing session: here when this task holds it, else relayed or 404. */
  async function onSession(request: FastifyRequest, reply: FastifyReply, body?: unknown) {
    const id = request.headers['mcp-session-id']
    if (typeof id !== 'string' || id === '') throw invalidRequest('Bad Request: Mcp-Session-Id header is required')
    const session = app.sessions.find(id, request.principal, 'streamable-http', request.log)
    if (!session) return relayOrNotFound(app, request, reply, id)
    return handle(session, request, reply, body)
  }

  async function initialize(request: FastifyRequest, reply: FastifyReply, body: unknown) {
    if (!opensSessions) throw sessionNotFound()
    app.sessions.admit(request.principal)
    const id = app.sessionIds.create()
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id, keepAliveMs: config.heartbeatMs })
    const session = await app.sessions.open({ id, kind: 'streamable-http', principal: request.principal, transport })
    await handle(session, request, reply, body)
    // A failed initialize (say, an unsupported protocol) leaves a session no client can name: drop it.
    if (transport.sessionId === undefined) await session.server.close()
  }

  app.post('/mcp', { onRequest: requireJson }, async (request, reply) => {
    const messages = parseMessages(request.body)
    if (request.headers['mcp-session-id'] !== undefined) return onSession(request, reply, request.body)
    if (!messages.some((message) => isInitializeRequest(message))) {
      throw invalidRequest('Bad Request: no Mcp-Session-Id header; only an initialize request may open a session')
    }
    return initialize(request, reply, request.body)
  })
  app.get('/mcp', async (request, reply) => onSession(request, reply))
  app.delete('/mcp', async (request, reply) => onSession(request, reply))
}
