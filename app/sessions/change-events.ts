import { randomUUID } from 'node:crypto'
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { SharedRedis } from '../redis.js'

/** The Redis channel every task publishes its change events on and listens to. */
const CHANNEL = 'mcp:change-events'

/** What travels on the channel: the event, and which task published it. */
interface Published {
  origin: string
  event: ServerEvent
}

/**
 * Change events of the catalog (a list changed, a resource was updated), delivered to the listeners of this
 * task — MCP 2026-07-28 `subscriptions/listen` streams (the SDK's listen router subscribes to this bus, given
 * to its entry) and 2025 sessions holding resource subscriptions — and, with Redis, to those of every task:
 * published on one channel all tasks subscribe to. A task delivers its own events at once and skips them
 * when Redis brings them back. Without Redis, events reach this task's listeners only.
 */
export class ChangeEvents implements ServerEventBus {
  private readonly listeners = new Set<(event: ServerEvent) => void>()
  private readonly origin = randomUUID()
  private subscriber: Redis | undefined

  constructor(
    private readonly redis: SharedRedis | undefined,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** With Redis: a connection of its own in subscriber mode (which runs no other command), resubscribed by ioredis after a reconnect. */
  async start(): Promise<void> {
    if (!this.redis) return
    this.subscriber = this.redis.client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined })
    this.subscriber.on('message', (_channel: string, text: string) => this.received(text))
    this.subscriber.on('error', (error: Error) => this.log.debug({ err: error }, 'change events subscriber error'))
    await this.subscriber.subscribe(CHANNEL)
  }

  publish(event: ServerEvent): void {
    this.deliver(event)
    const redis = this.redis
    if (!redis) return
    const message = JSON.stringify({ origin: this.origin, event } satisfies Published)
    // Best effort, like the notifications themselves: a change Redis cannot carry now reaches this task only.
    redis.run(() => redis.client.publish(CHANNEL, message)).catch((error: unknown) => this.log.warn({ event: 'change_event_not_published', err: error }, 'change event reached this task only'))
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    this.listeners.clear()
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect())
  }

  private received(text: string): void {
    let published: Published
    try {
      published = JSON.parse(text) as Published
    } catch {
      return
    }
    if (published.origin !== this.origin) this.deliver(published.event)
  }

  private deliver(event: ServerEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        this.log.warn({ err: error }, 'a change event listener failed')
      }
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The catalog's change events, across tasks when Redis is configured. */
    changeEvents: ChangeEvents
  }
}

/** The task's change-event bus; it subscribes to Redis in the background (Redis may come up later). */
export default fp(async function changeEvents(app: FastifyInstance) {
  const events = new ChangeEvents(app.redis, app.log)
  app.decorate('changeEvents', events)
  events.start().catch((error: unknown) => app.log.warn({ event: 'change_events_unsubscribed', err: error }, 'change events will reach this task only'))
  app.addHook('onClose', () => events.close())
})
