import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from './config.js'
import { sessionNotFound } from './http/errors.js'
import { boundInput } from './http/input-bounds.js'
import { principalFromRelay, type Principal } from './keys.js'
import { createListener } from './server-options.js'
import { RELAY_HEADER, RelayVerifier, bodyDigest, forwardedHeaders } from './sessions/relay.js'
import { sseSessionRoutes } from './transports/sse.js'
import streamableHttpRoutes from './transports/streamable-http.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** On the peer port: the body digest the relay signature vouches for. */
    signedBodyDigest: string
  }
}

/** The session a relayed request names: `?sessionId=` (legacy) or `Mcp-Session-Id`; naming two different ones names none. */
function sessionIdOf(request: FastifyRequest): string | undefined {
  const query = (request.query as { sessionId?: unknown }).sessionId
  const header = request.headers['mcp-session-id']
  const fromQuery = typeof query === 'string' ? query : undefined
  const fromHeader = typeof header === 'string' ? header : undefined
  return fromQuery !== undefined && fromHeader !== undefined && fromQuery !== fromHeader ? undefined : (fromQuery ?? fromHeader)
}

/**
 * The peer port: where other tasks relay requests for sessions this task owns. It mounts only the routes of
 * existing sessions (no `GET /sse`, no initialize), trusts only a request signed with the shared secret for
 * exactly this method, path, session and body, once and within seconds, and never relays further. Anything
 * else is a plain 404. Errors and request logs are the public listener's own (`createListener`).
 */
export async function buildPeerServer(app: FastifyInstance, config: Config, secret: string): Promise<FastifyInstance> {
  const tracer = app.mcpTracing?.tracer
  const peer = await createListener(config, { loggerInstance: app.log.child({ listener: 'peer' }) }, tracer && { tracer, relayed: true })
  peer.decorate('sessions', app.sessions)
  peer.decorate('sessionIds', app.sessionIds)
  peer.decorate('metrics', app.metrics)
  peer.decorate('relay', undefined)
  // Relayed requests are held against their key and the task here too: this task's heap is the one they fill.
  boundInput(peer, app.inputLoad, app.heapGuard, config.maxBodyBytes)
  const keysByName = new Map(config.keys.map((key) => [key.name, key]))
  const verifier = new RelayVerifier(secret)
  peer.decorateRequest('principal', undefined as unknown as Principal)
  peer.decorateRequest('signedBodyDigest', '')
  peer.addHook('onRequest', async (request) => {
    const sessionId = sessionIdOf(request)
    const header = request.headers[RELAY_HEADER]
    const relay = sessionId === undefined ? undefined : verifier.verify(typeof header === 'string' ? header : undefined, { method: request.method, url: request.url, sessionId, headers: forwardedHeaders(request.headers) })
    const principal = relay && principalFromRelay(relay.principal, keysByName)
    if (!principal) throw sessionNotFound()
    request.principal = principal
    request.signedBodyDigest = relay.bodyDigest
    request.log = request.log.child({ principal: principal.name, relayed: true })
  })
  // The signature was checked before the body was read; the body must be the one it was signed with.
  peer.removeContentTypeParser('application/json')
  peer.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (bodyDigest(body) !== request.signedBodyDigest) return done(sessionNotFound(), undefined)
    peer.parseJson(request, body.toString(), done)
  })
  peer.addHook('preHandler', async (request) => {
    if (request.body === undefined && request.signedBodyDigest !== bodyDigest()) throw sessionNotFound()
  })
  await peer.register(sseSessionRoutes, { prefix: config.basePath })
  await peer.register(streamableHttpRoutes, { prefix: config.basePath, opensSessions: false })
  return peer
}
