import { finished } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node'
import { isInitializeRequest, type JSONRPCMessage } from '@modelcontextprotocol/server'
import type { Config } from '../config.js'
import { invalidRequest, sessionNotFound } from '../http/errors.js'
import type { Session } from '../sessions/registry.js'
import { hijack } from './hijack.js'
import { negotiatedVersion, parseMessages, refuseBatchOn, requireJson } from './json-rpc.js'
import { relayOrNotFound } from './relay-or-not-found.js'

/**
 * Streamable HTTP (2025-11-25, down to 2025-03-26) on `/mcp`, sessions named by `Mcp-Session-Id`. One route
 * serves both an initialize and requests on a session, so the peer port mounts it with `opensSessions: false`.
 */
export default async function streamableHttpRoutes(app: FastifyInstance, { config, opensSessions = true }: { config: Config; opensSessions?: boolean }) {
  /**
   * Hands the request to the session's transport. POSTed requests count as in flight until their answer
   * stream closes: the SDK queues answers where no write of ours sees them, so this bounds what a client
   * that never reads can make us hold (requests in flight × answer size) per session.
   */
  async function handle(session: Session, request: FastifyRequest, reply: FastifyReply, messages?: JSONRPCMessage[]) {
    const admitted = messages ? app.sessions.admitRequests(session, messages) : []
    if (messages) app.metrics.messages.inc({ transport: 'streamable-http' }, messages.length)
    const response = hijack(reply)
    finished(response, () => admitted.forEach((id) => session.inFlight.settle(id)))
    app.sessions.track(session, response)
    await (session.transport as NodeStreamableHTTPServerTransport).handleRequest(request.raw, response, request.body)
    return response
  }

  /** Serves a request on an existing session: here when this task holds it, else relayed or 404. */
  async function onSession(request: FastifyRequest, reply: FastifyReply, messages?: JSONRPCMessage[]) {
    const id = request.headers['mcp-session-id']
    if (typeof id !== 'string' || id === '') throw invalidRequest('Bad Request: Mcp-Session-Id header is required')
    const session = app.sessions.find(id, request.principal, 'streamable-http', request.log)
    if (!session) return relayOrNotFound(app, request, reply, id)
    refuseBatchOn(session.protocolVersion, request.body)
    await handle(session, request, reply, messages)
  }

  async function initialize(request: FastifyRequest, reply: FastifyReply, messages: JSONRPCMessage[]) {
    if (!opensSessions) throw sessionNotFound()
    const protocolVersion = negotiatedVersion(messages)
    refuseBatchOn(protocolVersion, request.body)
    app.sessions.admit(request.principal)
    const id = app.sessionIds.create()
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => id, keepAliveMs: config.heartbeatMs })
    const session = await app.sessions.open({ id, kind: 'streamable-http', principal: request.principal, transport, protocolVersion })
    const response = await handle(session, request, reply, messages)
    // A failed initialize (say, an unsupported protocol) leaves a session no client can name, and a client
    // that left before its answer was written (finished() calls back for that too) will never name it: drop it.
    if (transport.sessionId === undefined) await session.server.close()
    else finished(response, (error) => error && void session.server.close())
  }

  app.post('/mcp', { onRequest: requireJson }, async (request, reply) => {
    const messages = parseMessages(request.body)
    if (request.headers['mcp-session-id'] !== undefined) return onSession(request, reply, messages)
    if (!messages.some((message) => isInitializeRequest(message))) {
      throw invalidRequest('Bad Request: no Mcp-Session-Id header; only an initialize request may open a session')
    }
    return initialize(request, reply, messages)
  })
  app.get('/mcp', async (request, reply) => onSession(request, reply))
  app.delete('/mcp', async (request, reply) => onSession(request, reply))
}
