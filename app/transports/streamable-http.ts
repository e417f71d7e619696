import { finished } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/server'
import { HttpError, RpcCode, invalidRequest, sessionNotFound } from '../http/errors.js'
import { hijack } from '../sessions/hijack.js'
import { holdOf } from '../http/input-bounds.js'
import { isRequest } from '../protocol.js'
import type { StreamableHttpSession } from './bindings.js'
import { isInitialize, negotiatedVersion, parseMessages, refuseBatchOn, requireJson } from './json-rpc.js'
import { modernHttp, type ModernHttpOptions } from './modern-http.js'
import { modernRoute } from './modern-route.js'
import { relayOrNotFound } from './relay-or-not-found.js'
import { sessionElsewhere, statelessHttp, type StatelessOptions } from './stateless-http.js'
import { StreamableHttpTransport } from './streamable-http-transport.js'

/*
 * The HTTP checks below are the SDK transport's, with its status codes and messages, so clients see the same
 * answers as before (@modelcontextprotocol/server 2.4.0, WebStandardStreamableHTTPServerTransport):
 * https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 */
const notAcceptable = (what: string) => new HttpError(406, `Not Acceptable: Client must accept ${what}`, RpcCode.server)

function requireAccept(request: FastifyRequest, ...types: string[]): void {
  const accept = request.headers.accept
  if (!types.every((type) => accept?.includes(type))) throw notAcceptable(types.join(' and '))
}

/** A request without the header is served at the negotiated revision (spec: "assume 2025-03-26" only when nothing else is known). */
function requireSupportedVersion(request: FastifyRequest): void {
  const version = request.headers['mcp-protocol-version']
  if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version as string)) return
  throw new HttpError(400, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`)
}

/**
 * A GET or DELETE without a session id names no 2025 session, and MCP 2026-07-28 has neither: 405, as the
 * 2026-07-28 spec has a server answer them (basic/transports/streamable-http, "Earlier Streamable HTTP
 * Revisions": "HTTP GET or DELETE to the MCP endpoint: respond with 405 Method Not Allowed"); the 2025 spec
 * allows 405 for a GET stream a server does not offer (2025-11-25 basic/transports, "Listening for Messages").
 */
const noSessionMethod = (method: string) => new HttpError(405, `Method Not Allowed: ${method} /mcp needs an Mcp-Session-Id (MCP 2026-07-28 has no sessions)`, RpcCode.server, { allow: 'POST' })

export interface StreamableHttpOptions {
  /** False on the peer port: relayed requests belong to sessions and never open one. */
  opensSessions?: boolean
  /** Serves MCP 2026-07-28 requests beside the 2025 sessions; absent on the peer port, which only relays sessions. */
  modern?: ModernHttpOptions
  /** MCP_STATELESS=true: 2025 POSTs are served without a session, and what needs one says where sessions are. */
  stateless?: StatelessOptions
}

/**
 * Streamable HTTP on `/mcp`: MCP 2026-07-28 requests (no session, modern-route.ts and modern-http.ts) and 2025
 * sessions (2025-11-25 down to 2025-03-26) named by `Mcp-Session-Id`, told apart by `modernRoute`. One route
 * serves both an initialize and requests on a session, so the peer port mounts it with `opensSessions: false`.
 */
export default async function streamableHttpRoutes(app: FastifyInstance, { opensSessions = true, modern, stateless }: StreamableHttpOptions = {}) {
  const serveModern = modern && modernHttp(app, modern)
  const serveStateless = stateless && statelessHttp(app, stateless)

  /** POSTed messages: 202 when none is a request, else answered on this response (JSON or events, see PostAnswer). */
  function post(session: StreamableHttpSession, request: FastifyRequest, reply: FastifyReply, messages: JSONRPCMessage[]) {
    const requestIds = app.sessions.admitRequests(session, messages, holdOf(request))
    app.metrics.messages.inc({ transport: 'streamable-http' }, messages.length)
    if (!messages.some(isRequest)) {
      session.transport.receive(messages)
      return void reply.code(202).send()
    }
    const stream = app.sessions.bound(request.principal, hijack(reply), request.log)
    app.sessions.track(session, stream)
    session.transport.answer(messages, requestIds, stream, Array.isArray(request.body))
  }

  /** The session a request names, when this task holds it; otherwise the request is relayed or answered 404. */
  async function sessionOf(request: FastifyRequest, reply: FastifyReply): Promise<StreamableHttpSession | undefined> {
    if (stateless) throw sessionElsewhere(405, `${request.method} /mcp`, '/mcp', stateless.sessionUrl)
    const id = request.headers['mcp-session-id']
    if (typeof id !== 'string' || id === '') {
      throw request.method === 'POST' ? invalidRequest('Bad Request: Mcp-Session-Id header is required') : noSessionMethod(request.method)
    }
    const session = app.sessions.find(id, request.principal, 'streamable-http', request.log)
    if (session) app.sessions.touch(session)
    else await relayOrNotFound(app, request, reply, id)
    return session
  }

  async function initialize(request: FastifyRequest, reply: FastifyReply, messages: JSONRPCMessage[]) {
    if (!opensSessions) throw sessionNotFound()
    requireAccept(request, 'application/json', 'text/event-stream')
    const protocolVersion = negotiatedVersion(messages)
    refuseBatchOn(protocolVersion, request.body)
    if (messages.length > 1) throw invalidRequest('Invalid Request: Only one initialization request is allowed')
    app.sessions.admit(request.principal)
    const id = app.sessionIds.create()
    const transport = new StreamableHttpTransport(id)
    const session = await app.sessions.open({ id, kind: 'streamable-http', principal: request.principal, transport, protocolVersion })
    post(session, request, reply, messages)
    // A client that left before its answer was written (finished() calls back for that too) will never
    // name the session: drop it.
    finished(reply.raw, (error) => error && void session.server.close())
  }

  app.post('/mcp', { onRequest: requireJson }, async (request, reply) => {
    const modern = serveModern && modernRoute(request)
    if (modern) return serveModern(request, reply, modern)
    if (serveStateless) return serveStateless(request, reply)
    const messages = parseMessages(request.body)
    if (request.headers['mcp-session-id'] === undefined) {
      if (!messages.some(isInitialize)) {
        throw invalidRequest('Bad Request: no Mcp-Session-Id header; only an initialize request may open a session')
      }
      return initialize(request, reply, messages)
    }
    const session = await sessionOf(request, reply)
    if (!session) return
    refuseBatchOn(session.protocolVersion, request.body)
    requireAccept(request, 'application/json', 'text/event-stream')
    if (messages.some(isInitialize)) throw invalidRequest('Invalid Request: Server already initialized')
    requireSupportedVersion(request)
    post(session, request, reply, messages)
  })

  /** The standalone stream, for server messages not related to a request; one per session. */
  app.get('/mcp', async (request, reply) => {
    const session = await sessionOf(request, reply)
    if (!session) return
    requireAccept(request, 'text/event-stream')
    requireSupportedVersion(request)
    if (session.transport.hasStandaloneStream) throw new HttpError(409, 'Conflict: Only one SSE stream is allowed per session')
    const stream = app.sessions.bound(request.principal, hijack(reply), request.log)
    app.sessions.track(session, stream)
    session.transport.openStandaloneStream(stream)
  })

  app.delete('/mcp', async (request, reply) => {
    const session = await sessionOf(request, reply)
    if (!session) return
    requireSupportedVersion(request)
    await session.server.close()
    return reply.code(200).send()
  })
}
