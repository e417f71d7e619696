import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createMcpServer } from '../mcp/server.js'
import type { Services } from '../mcp/context.js'
import { SessionRegistry } from './registry.js'
import { SessionIds } from './session-id.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionRegistry
    sessionIds: SessionIds
  }
}

/** The task's sessions and the ids they are known by; readiness follows the drain state. */
export default fp(async function sessions(app: FastifyInstance, { config, services, owner }: { config: Config; services: Services; owner: string }) {
  // Without a shared secret ids are still unforgeable, but only this process can check them.
  const secret = config.sessionSecret ?? randomBytes(32).toString('base64url')
  app.decorate('sessionIds', new SessionIds(secret, owner))
  const registry = new SessionRegistry(
    config,
    (principal, sessionId, log) => createMcpServer({ principal, sessionId, log, services }),
    app.metrics,
    app.log,
  )
  app.decorate('sessions', registry)
  app.readinessChecks.push(() => (registry.draining ? 'draining' : undefined))
  app.addHook('preClose', () => registry.stop())
})
