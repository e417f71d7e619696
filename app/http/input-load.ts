import type { Metrics } from './metrics.js'
import { HttpError, tooManyRequests } from './errors.js'

export interface InputLimits {
  /** Input bytes all requests of the task may hold together (MCP_MAX_INPUT_BYTES). */
  maxInputBytes: number
  /** Input bytes the requests of one key may hold together (MCP_MAX_INPUT_BYTES_PER_KEY). */
  maxInputBytesPerKey: number
  /** Requests of one key in flight across its sessions and MCP 2026-07-28 requests (MCP_MAX_IN_FLIGHT_PER_KEY). */
  maxInFlightPerKey: number
}

const RETRY_AFTER_SECONDS = 1

interface KeyLoad {
  bytes: number
  requests: number
}

/**
 * What the requests of each key hold on the way in, and of the task altogether: the bytes of bodies being
 * received (their declared length) and of bodies being served (their parsed cost, see json-body.ts), and the
 * requests in flight. Caps on requests alone cannot bound memory: one key with a few long calls, each
 * carrying a megabyte of small JSON objects, held 400 MiB of heap on a task of 512. Bytes are refused before
 * they are read: 429 over the key's budget, 503 over the task's.
 */
export class InputLoad {
  private total = 0
  private readonly keys = new Map<string, KeyLoad>()

  constructor(
    readonly limits: InputLimits,
    private readonly metrics: Metrics,
  ) {
    metrics.watchInputBytes(() => this.total)
  }

  get bytes(): number {
    return this.total
  }

  /** A request's input, held from its headers until it is answered and its requests are settled. */
  hold(key: string, bytes: number): InputHold {
    const hold = new InputHold(this, key)
    hold.resize(bytes)
    return hold
  }

  /** Moves `delta` bytes onto (or off) the key; a growth that does not fit is refused and changes nothing. */
  changeBytes(key: string, delta: number): void {
    const load = this.keys.get(key) ?? { bytes: 0, requests: 0 }
    if (delta > 0) {
      if (load.bytes + delta > this.limits.maxInputBytesPerKey) {
        this.metrics.rateLimited.inc({ reason: 'key_input_bytes' })
        throw tooManyRequests(RETRY_AFTER_SECONDS, `request bytes in flight for this key (at most ${this.limits.maxInputBytesPerKey})`)
      }
      if (this.total + delta > this.limits.maxInputBytes) {
        this.metrics.rateLimited.inc({ reason: 'task_input_bytes' })
        throw new HttpError(503, 'Service Unavailable: this task holds its maximum of request bytes', undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) })
      }
    }
    load.bytes += delta
    this.total += delta
    this.store(key, load)
  }

  /** Counts requests of the key in (refused with 429 over its cap) or, with a negative count, out. */
  changeRequests(key: string, delta: number): void {
    const load = this.keys.get(key) ?? { bytes: 0, requests: 0 }
    if (delta > 0 && load.requests + delta > this.limits.maxInFlightPerKey) {
      this.metrics.rateLimited.inc({ reason: 'key_in_flight' })
      throw tooManyRequests(RETRY_AFTER_SECONDS, `requests in flight for this key (at most ${this.limits.maxInFlightPerKey})`)
    }
    load.requests += delta
    this.store(key, load)
  }

  private store(key: string, load: KeyLoad): void {
    if (load.bytes > 0 || load.requests > 0) this.keys.set(key, load)
    else this.keys.delete(key)
  }
}

/**
 * One request's share of its key's load. Its bytes are given back once its HTTP exchange is over and every
 * request it carried is settled, whichever comes last: a legacy SSE POST is answered 202 at once while its
 * call runs on, a Streamable HTTP POST stays open until its calls are answered.
 */
export class InputHold {
  private bytes = 0
  private requests = 0
  private exchangeOpen = true
  private released = false

  constructor(
    private readonly load: InputLoad,
    readonly key: string,
  ) {}

  /** Holds `bytes` from now on instead of what it held (the declared length, then the parsed cost). */
  resize(bytes: number): void {
    if (this.released) return
    this.load.changeBytes(this.key, bytes - this.bytes)
    this.bytes = bytes
  }

  /** Requests carried by this body are in flight (refused with 429 over the key's cap). */
  addRequests(count: number): void {
    if (count === 0) return
    this.load.changeRequests(this.key, count)
    this.requests += count
  }

  /** One of its requests is answered, cancelled or abandoned. */
  settleRequest(): void {
    if (this.requests === 0) return
    this.requests--
    this.load.changeRequests(this.key, -1)
    this.releaseWhenDone()
  }

  /** The HTTP exchange is over (answered, or the client left). */
  endExchange(): void {
    this.exchangeOpen = false
    this.releaseWhenDone()
  }

  private releaseWhenDone(): void {
    if (this.exchangeOpen || this.requests > 0 || this.released) return
    this.released = true
    this.load.changeBytes(this.key, -this.bytes)
    this.bytes = 0
  }
}
