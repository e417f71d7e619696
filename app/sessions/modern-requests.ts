import type { Metrics } from '../http/metrics.js'
import { HttpError, tooManyRequests } from '../http/errors.js'
import type { ApiKey } from '../keys.js'

export interface ModernLimits {
  maxModernInFlight: number
  maxModernInFlightPerKey: number
}

const RETRY_AFTER_SECONDS = 1

/**
 * The MCP 2026-07-28 requests this task is serving. They open no session, so the session caps cannot bound
 * them: these caps do, for the task and for each key. A draining task still serves new ones: it may still be in
 * its load balancer's pool (SessionRegistry.startDraining).
 */
export class ModernRequests {
  private count = 0
  private readonly perPrincipal = new Map<string, number>()

  constructor(
    private readonly limits: ModernLimits,
    private readonly metrics: Metrics,
  ) {}

  get size(): number {
    return this.count
  }

  /** Counts a new request in, or refuses it before any work; the returned function counts it out (once). */
  admit(principal: ApiKey): () => void {
    if (this.count >= this.limits.maxModernInFlight) {
      this.metrics.rateLimited.inc({ reason: 'task_modern_in_flight' })
      throw new HttpError(503, 'Service Unavailable: this task serves its maximum number of requests', undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) })
    }
    const held = this.perPrincipal.get(principal.name) ?? 0
    if (held >= this.limits.maxModernInFlightPerKey) {
      this.metrics.rateLimited.inc({ reason: 'key_modern_in_flight' })
      throw tooManyRequests(RETRY_AFTER_SECONDS, `requests in flight for this key (at most ${this.limits.maxModernInFlightPerKey})`)
    }
    this.move(principal.name, held + 1, 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.move(principal.name, (this.perPrincipal.get(principal.name) ?? 1) - 1, -1)
    }
  }

  private move(principal: string, held: number, delta: number): void {
    if (held > 0) this.perPrincipal.set(principal, held)
    else this.perPrincipal.delete(principal)
    this.count += delta
    this.metrics.modernInFlight.set(this.count)
  }
}
