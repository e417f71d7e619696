import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Config } from './config.js'
import errors, { sessionNotFound } from './http/errors.js'
import requestLog from './http/request-log.js'
import type { ApiKey } from './keys.js'
import { RELAY_HEADER, verifyRelay } from './sessions/relay.js'
import sseRoutes from './transports/sse.js'
import streamableHttpRoutes from './transports/streamable-http.js'
import { serverOptions } from './server-options.js'

function sessionIdOf(request: FastifyRequest): string | undefined {
  const fromQuery = (request.query as { sessionId?: unknown }).sessionId
  if (typeof fromQuery === 'string') return fromQuery
  const fromHeader = request.headers['mcp-session-id']
  return typeof fromHeader === 'string' ? fromHeader : undefined
}

/**
 * The peer port: where other tasks relay requests for sessions this task owns. It serves only existing
 * sessions, trusts only requests signed with the shared secret (which name the principal the relaying
 * task authenticated), and never relays further. Anything else is a plain 404.
 */
export async function buildPeerServer(app: FastifyInstance, config: Config, secret: string): Promise<FastifyInstance> {
  const peer = Fastify({ ...serverOptions(config), loggerInstance: app.log.child({ listener: 'peer' }) })
  peer.removeContentTypeParser('text/plain')
  await peer.register(errors)
  await peer.register(requestLog)
  peer.decorate('sessions', app.sessions)
  peer.decorate('sessionIds', app.sessionIds)
  peer.decorate('metrics', app.metrics)
  peer.decorate('relay', undefined)
  const keysByName = new Map(config.keys.map((key) => [key.name, key]))
  peer.decorateRequest('principal', undefined as unknown as ApiKey)
  peer.addHook('onRequest', async (request) => {
    const sessionId = sessionIdOf(request)
    const name = sessionId && verifyRelay(secret, request.headers[RELAY_HEADER] as string | undefined, sessionId)
    const key = name ? keysByName.get(name) : undefined
    if (!key) throw sessionNotFound()
    request.principal = key
    request.log = request.log.child({ principal: key.name, relayed: true })
  })
  await peer.register(sseRoutes, { prefix: config.basePath, basePath: config.basePath })
  await peer.register(streamableHttpRoutes, { prefix: config.basePath, config })
  return peer
}
