import type { FastifyInstance, FastifyRequest } from 'fastify'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import type { Config } from '../config.js'
import { invalidRequest, sessionNotFound } from '../http/errors.js'
import type { Session } from '../sessions/registry.js'
import { hijack } from './hijack.js'
import { parseMessages, requireJson } from './json-rpc.js'

/** Streamable HTTP (2025-11-25, down to 2025-03-26) on `/mcp`, sessions named by `Mcp-Session-Id`. */
export default async function streamableHttpRoutes(app: FastifyInstance, { config }: { config: Config }) {
  function existingSession(request: FastifyRequest): Session {
    const id = request.headers['mcp-session-id']
    if (typeof id !== 'string' || id === '') throw invalidRequest('Bad Request: Mcp-Session-Id header is required')
    const session = app.sessions.find(id, request.principal, 'streamable-http', request.log)
    if (!session) throw sessionNotFound()
    return session
  }

  async function handle(session: Session, request: FastifyRequest, reply: Parameters<typeof hijack>[0], body?: unknown) {
    const response = hijack(reply)
    app.sessions.track(session, response)
    await (session.transport as StreamableHTTPServerTransport).handleRequest(request.raw, response, body)
  }

  async function initialize(request: FastifyRequest, reply: Parameters<typeof hijack>[0], body: unknown) {
    app.sessions.admit(request.principal)
    const id = app.sessionIds.create()
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id, keepAliveMs: config.heartbeatMs })
    const session = await app.sessions.open({ id, kind: 'streamable-http', principal: request.principal, transport })
    await handle(session, request, reply, body)
    // A failed initialize (say, an unsupported protocol) leaves a session no client can name: drop it.
    if (transport.sessionId === undefined) await session.server.close()
  }

  const onRequest = async (request: FastifyRequest) => requireJson(request.headers['content-type'])
  app.post('/mcp', { onRequest }, async (request, reply) => {
    const messages = parseMessages(request.body)
    app.metrics.messages.inc({ transport: 'streamable-http' }, messages.length)
    if (request.headers['mcp-session-id'] === undefined) {
      if (!messages.some((message) => isInitializeRequest(message))) {
        throw invalidRequest('Bad Request: no Mcp-Session-Id header; only an initialize request may open a session')
      }
      return initialize(request, reply, request.body)
    }
    return handle(existingSession(request), request, reply, request.body)
  })

  app.get('/mcp', async (request, reply) => handle(existingSession(request), request, reply))
  app.delete('/mcp', async (request, reply) => handle(existingSession(request), request, reply))
}
