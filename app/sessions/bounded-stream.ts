import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { finished } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'

/** Bytes buffered for each key across all its streams, so many sessions of one key cannot add up to an OOM. */
export class KeyBudgets {
  private readonly buffered = new Map<string, number>()

  constructor(readonly bytesPerKey: number) {}

  held(key: string): number {
    return this.buffered.get(key) ?? 0
  }

  change(key: string, delta: number): void {
    const next = this.held(key) + delta
    if (next > 0) this.buffered.set(key, next)
    else this.buffered.delete(key)
  }
}

export interface StreamBounds {
  /** Unsent bytes a stream may hold beyond the message being written (MCP_MAX_STREAM_BUFFER_BYTES). */
  maxStreamBufferBytes: number
  budgets: KeyBudgets
}

export type Overflow = 'stream' | 'key'

/** A response handed over by Fastify, with the headers our plugins set on the reply (security headers). */
export interface HijackedResponse {
  response: ServerResponse
  headers: OutgoingHttpHeaders
}

/**
 * The one way we write to a long-lived response. Each write checks the backlog the moment it is made: a
 * client that stopped reading has its stream destroyed as soon as the unsent bytes beyond the message just
 * written pass the stream bound, or its key's buffered bytes (again beyond this message) pass the key's
 * budget. One large answer to a reading client is always fine; a timer could never keep up with a fast
 * producer (a 1 MiB answer per millisecond outruns any sweep).
 */
export class BoundedStream {
  private readonly response: ServerResponse
  private readonly headers: OutgoingHttpHeaders
  /** What this stream counts against its key: its backlog after the last write that did not fit the socket. */
  private charged = 0
  private ended = false
  private readonly endListeners: (() => void)[] = []

  constructor(
    { response, headers }: HijackedResponse,
    private readonly key: string,
    private readonly bounds: StreamBounds,
    private readonly log: FastifyBaseLogger,
    private readonly onOverflow: (reason: Overflow) => void = () => {},
  ) {
    this.response = response
    this.headers = headers
    response.on('drain', () => this.charge(0))
    // One finished() per response, shared by everyone who follows its end (the registry, the transport):
    // each call adds its own listeners, which live as long as the stream. finished() also calls back for a
    // response that closed before we got here.
    finished(response, () => {
      this.ended = true
      this.charge(0)
      for (const listener of this.endListeners.splice(0)) listener()
    })
  }

  /** Calls `listener` once the response has ended or failed, at once (next tick) when it already has. */
  whenEnded(listener: () => void): void {
    if (this.ended) process.nextTick(listener)
    else this.endListeners.push(listener)
  }

  /**
   * Writes the head with the reply's headers merged in. Passed to writeHead rather than set one by one with
   * setHeader, so Node keeps no header store for the life of the response (≈ 2.5 KB per long stream).
   * `flush` sends it before the first message, for a stream that may stay silent.
   */
  head(status: number, headers: OutgoingHttpHeaders, flush = false): void {
    // The reply's headers were copied for this stream alone (hijack): added to in place, not copied again.
    this.response.writeHead(status, Object.assign(this.headers, headers))
    if (flush) this.response.flushHeaders()
  }

  end(): void {
    this.response.end()
  }

  get open(): boolean {
    return !this.response.destroyed && !this.response.writableEnded
  }

  /** Writes one message; false when the stream is gone (or was just ended for overflowing). */
  write(text: string | Uint8Array): boolean {
    if (!this.open) return false
    const chunk = typeof text === 'string' ? Buffer.from(text) : text
    const fits = this.response.write(chunk)
    const backlog = this.response.writableLength
    // A write the socket took at once leaves at most its high-water mark behind: nothing to charge.
    this.charge(fits ? 0 : backlog)
    const overflow = this.overflow(backlog - chunk.length, chunk.length)
    if (!overflow) return true
    this.log.warn({ event: 'slow_consumer', reason: overflow, buffered: backlog }, 'stream ended: client is not reading')
    this.response.destroy()
    this.onOverflow(overflow)
    return false
  }

  private overflow(beyondMessage: number, messageBytes: number): Overflow | undefined {
    if (beyondMessage > this.bounds.maxStreamBufferBytes) return 'stream'
    if (this.bounds.budgets.held(this.key) - messageBytes > this.bounds.budgets.bytesPerKey) return 'key'
    return undefined
  }

  private charge(bytes: number): void {
    this.bounds.budgets.change(this.key, bytes - this.charged)
    this.charged = bytes
  }
}
