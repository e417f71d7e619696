import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** A dependency check for readiness: returns why the task is not ready, or undefined when it is. */
export type ReadinessCheck = () => string | undefined

declare module 'fastify' {
  interface FastifyInstance {
    readinessChecks: ReadinessCheck[]
  }
}

/**
 * `/health` is liveness: it answers from memory and calls nothing, so a slow dependency never gets a
 * healthy task killed. `/ready` is readiness: 503 while draining or while a required dependency is down.
 */
export default fp(async function health(app: FastifyInstance, { basePath }: { basePath: string }) {
  app.decorate('readinessChecks', [] as ReadinessCheck[])
  const ok = JSON.stringify({ status: 'ok' })
  const routes = async (scope: FastifyInstance) => {
    scope.get('/health', { config: { public: true } }, (_request, reply) => {
      reply.header('cache-control', 'no-store').type('application/json').send(ok)
    })
    scope.get('/ready', { config: { public: true } }, (_request, reply) => {
      const reasons = app.readinessChecks.map((check) => check()).filter((reason) => reason !== undefined)
      reply.header('cache-control', 'no-store')
      if (reasons.length > 0) return reply.code(503).send({ status: 'unavailable', reasons })
      return reply.send({ status: 'ready' })
    })
  }
  await app.register(routes, { prefix: basePath })
})
