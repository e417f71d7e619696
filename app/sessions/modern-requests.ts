import type { Metrics } from '../http/metrics.js'
import { HttpError } from '../http/errors.js'
import type { InputHold } from '../http/input-load.js'

export interface ModernLimits {
  maxModernInFlight: number
}

const RETRY_AFTER_SECONDS = 1

/**
 * The MCP 2026-07-28 requests this task is serving. They open no session, so the session caps cannot bound
 * them: this cap does for the task, and the key's cap on requests in flight across eras for each key (its
 * input hold). A draining task still serves new ones: it may still be in its load balancer's pool
 * (SessionRegistry.startDraining).
 */
export class ModernRequests {
  private count = 0

  constructor(
    private readonly limits: ModernLimits,
    private readonly metrics: Metrics,
  ) {}

  get size(): number {
    return this.count
  }

  /**
   * Counts a new request in (or the `requests` of one stateless POST), or refuses it before any work; the
   * returned function counts it out (once).
   */
  admit(hold: InputHold, requests = 1): () => void {
    if (this.count >= this.limits.maxModernInFlight) {
      this.metrics.rateLimited.inc({ reason: 'task_modern_in_flight' })
      throw new HttpError(503, 'Service Unavailable: this task serves its maximum number of requests', undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) })
    }
    hold.addRequests(requests)
    this.move(1)
    let released = false
    return () => {
      if (released) return
      released = true
      for (let settled = 0; settled < requests; settled++) hold.settleRequest()
      this.move(-1)
    }
  }

  private move(delta: number): void {
    this.count += delta
    this.metrics.modernInFlight.set(this.count)
  }
}
