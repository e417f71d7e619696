import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared state across tasks (rate-limit counters, profiles); undefined in the single-task default. */
    redis: SharedRedis | undefined
  }
}

/** How often readiness asks Redis whether it still answers; also how soon a hung Redis is trusted again. */
export const PING_EVERY_MS = 1_000

/** Redis is known not to answer right now; commands are not even sent. */
export class RedisNotAnswering extends Error {
  constructor() {
    super('redis is not answering')
  }
}

/** ioredis's `commandTimeout` rejects with exactly this message (node_modules/ioredis/built/Command.js `setTimeout`). */
const isTimeout = (error: unknown) => error instanceof Error && error.message === 'Command timed out'

/**
 * The Redis client and what requests know of its health. Redis may fail (commands fail at once while the
 * connection is down: no offline queue) or hang (a paused or overloaded server keeps the socket open and
 * never answers): `commandTimeout` ends every command after `timeoutMs`, and the first timeout marks Redis
 * as hanging, so later commands fail at once instead of each waiting the timeout again (a request that needs
 * Redis twice, rate limit then profile, still waits at most one timeout). Only a PING that is answered in
 * time clears the mark.
 */
export class SharedRedis {
  private hanging = false
  private lastPongAt = 0

  constructor(
    readonly client: Redis,
    readonly timeoutMs: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Runs Redis commands; fails at once with RedisNotAnswering while Redis hangs. */
  async run<T>(commands: () => Promise<T>): Promise<T> {
    if (this.hanging) throw new RedisNotAnswering()
    try {
      return await commands()
    } catch (error) {
      if (isTimeout(error)) this.markHanging(true)
      throw error
    }
  }

  async ping(): Promise<void> {
    try {
      await this.client.ping()
      this.lastPongAt = Date.now()
      this.markHanging(false)
    } catch (error) {
      if (isTimeout(error)) this.markHanging(true)
    }
  }

  /** Logs the change once (not every command) so an operator sees when Redis stopped and started answering. */
  private markHanging(hanging: boolean) {
    if (hanging === this.hanging) return
    this.hanging = hanging
    if (hanging) this.log.warn({ event: 'redis_hanging', timeoutMs: this.timeoutMs }, 'redis not answering in time')
    else this.log.info({ event: 'redis_answering' }, 'redis answering again')
  }

  /** Why readiness is 503 because of Redis, or undefined while it answers. */
  unreadyReason(): string | undefined {
    if (this.client.status !== 'ready') return 'redis unreachable'
    // One missed beat (event-loop lag) is tolerated before a silent pinger counts as a hang.
    const stale = Date.now() - this.lastPongAt > 2 * PING_EVERY_MS + this.timeoutMs
    if (this.hanging || stale) return `redis not answering within ${this.timeoutMs} ms`
    return undefined
  }
}

export interface RedisOptions {
  url: string | undefined
  /** Longest any command may wait for its answer (MCP_REDIS_TIMEOUT_MS). */
  timeoutMs: number
}

/** The optional Redis connection; readiness follows a periodic PING, since a hung Redis still looks connected. */
export default fp(async function redis(app: FastifyInstance, { url, timeoutMs }: RedisOptions) {
  if (!url) {
    app.decorate('redis', undefined)
    return
  }
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: timeoutMs,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  })
  const shared = new SharedRedis(client, timeoutMs, app.log)
  const pinger = setInterval(() => void shared.ping(), PING_EVERY_MS)
  let down = false
  client.on('ready', () => {
    if (down) app.log.info({ event: 'redis_up' }, 'redis reachable again')
    down = false
    void shared.ping()
  })
  // Without a listener an 'error' event would crash the process; log the outage once, not every retry.
  client.on('error', (error: NodeJS.ErrnoException) => {
    if (!down) app.log.warn({ event: 'redis_down', code: error.code }, 'redis unreachable')
    down = true
  })
  app.decorate('redis', shared)
  app.readinessChecks.push(() => shared.unreadyReason())
  app.addHook('onClose', async () => {
    clearInterval(pinger)
    client.disconnect()
  })
})
