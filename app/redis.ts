import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared state across tasks (rate-limit counters, profiles); undefined in the single-task default. */
    redis: Redis | undefined
  }
}

/**
 * The optional Redis connection. Commands fail at once while it is down (no offline queue), so no request
 * ever hangs on it; readiness reports 503 until it is back, and ioredis reconnects by itself.
 */
export default fp(async function redis(app: FastifyInstance, { url }: { url: string | undefined }) {
  if (!url) {
    app.decorate('redis', undefined)
    return
  }
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  })
  let down = false
  client.on('ready', () => {
    if (down) app.log.info({ event: 'redis_up' }, 'redis reachable again')
    down = false
  })
  // Without a listener an 'error' event would crash the process; log the outage once, not every retry.
  client.on('error', (error: NodeJS.ErrnoException) => {
    if (!down) app.log.warn({ event: 'redis_down', code: error.code }, 'redis unreachable')
    down = true
  })
  app.decorate('redis', client)
  app.readinessChecks.push(() => (client.status === 'ready' ? undefined : 'redis unreachable'))
  app.addHook('onClose', async () => {
    client.disconnect()
  })
})
