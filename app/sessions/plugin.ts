import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { ModernRequests } from './modern-requests.js'
import { type AppTransport, type ServerFactory, SessionRegistry } from './registry.js'
import { Relay } from './relay.js'
import { SessionIds } from './session-id.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionRegistry<AppTransport>
    /** MCP 2026-07-28 requests in flight: they hold no session, and drain and caps cover them too. */
    modernRequests: ModernRequests
    sessionIds: SessionIds
    /** Forwards requests for other tasks' sessions; absent where relaying is off (and on the peer port). */
    relay: Relay | undefined
  }
}

export interface SessionsOptions {
  config: Config
  /** Builds each session's MCP server (the app wires the catalog in). */
  createServer: ServerFactory
  /** HMAC secret shared by every task: signs session ids and relayed requests. */
  secret: string
  /** This task's peer address, or undefined when sessions are never relayed. */
  owner: string | undefined
}

/** The task's sessions, the ids they are known by and the relay to other tasks; readiness follows the drain. */
export default fp(async function sessions(app: FastifyInstance, { config, createServer, secret, owner }: SessionsOptions) {
  app.decorate('sessionIds', new SessionIds(secret, owner ?? 'local'))
  app.decorate('relay', owner ? new Relay(secret, app.metrics, config.heartbeatMs, app.mcpTracing?.tracer) : undefined)
  const registry = new SessionRegistry<AppTransport>(config, createServer, app.metrics, app.log)
  app.decorate('sessions', registry)
  app.decorate('modernRequests', new ModernRequests(config, app.metrics))
  app.readinessChecks.push(() => (registry.draining ? 'draining' : undefined))
  app.readinessChecks.push(() => (registry.size >= config.maxSessions ? 'session cap reached' : undefined))
  app.addHook('preClose', () => registry.stop())
  app.addHook('onClose', () => app.relay?.close())
})
