import type { OutgoingHttpHeaders } from 'node:http'
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server'
import type { BoundedStream } from '../sessions/bounded-stream.js'
import { EVENT_STREAM_HEADERS, KEEPALIVE, messageEvent } from './event-stream.js'

/**
 * The answer to one POST that carried requests, on a 2025 session or as one MCP 2026-07-28 request. It stays
 * undecided until something is to be said: when every answer arrives before any other message and before
 * the next heartbeat, it is one `application/json` body; when a related notification or request comes first
 * (progress, logging, sampling) or a heartbeat passes, it turns into an event stream, kept alive by
 * heartbeats until every request is answered. So a silent long call still gets bytes through the balancer,
 * and a quick call costs no event-stream framing.
 */
export class PostAnswer {
  private mode: 'undecided' | 'json' | 'events' = 'undecided'
  private held: JSONRPCMessage[] = []
  private status = 200
  /** Requests of this POST still counted as in flight: until the answer is flushed or gone, or the client cancels. */
  readonly counted: Set<RequestId>

  /** `headers`: what every answer of this POST carries besides its media type (the session id, if any). */
  constructor(
    readonly stream: BoundedStream,
    readonly pending: Set<RequestId>,
    private readonly batch: boolean,
    private readonly headers: OutgoingHttpHeaders,
  ) {
    this.counted = new Set(pending)
  }

  /**
   * A message for this POST; `answers` names the request it answers, if it is a response. `status` is the
   * HTTP status of an answer that is still a JSON body (MCP 2026-07-28 answers some errors with 4xx).
   * False when the stream is gone before all of it was written.
   */
  deliver(message: JSONRPCMessage, answers?: RequestId, status = 200): boolean {
    if (answers !== undefined) this.pending.delete(answers)
    if (this.mode === 'undecided' && answers !== undefined) {
      this.held.push(message)
      this.status = status
      return this.pending.size > 0 || this.json()
    }
    this.events()
    const written = this.stream.write(messageEvent(message))
    this.endWhenAnswered()
    return written
  }

  /** A request of this POST that will get no answer (the client cancelled it). */
  drop(id: RequestId): void {
    this.pending.delete(id)
    if (this.pending.size > 0) return
    if (this.held.length > 0 && this.mode === 'undecided') {
      this.json()
      return
    }
    this.events()
    this.endWhenAnswered()
  }

  heartbeat(): void {
    this.events()
    this.stream.write(KEEPALIVE)
  }

  /** Nothing more will come (the session or the exchange closed): whatever is unanswered never will be. */
  end(): void {
    this.events()
    this.stream.end()
  }

  private json(): boolean {
    this.mode = 'json'
    if (!this.stream.open) return false
    const body = Buffer.from(JSON.stringify(this.batch ? this.held : this.held[0]))
    this.held = []
    this.stream.head(this.status, { 'content-type': 'application/json', 'content-length': body.length, ...this.headers })
    if (!this.stream.write(body)) return false
    this.stream.end()
    return true
  }

  /** Turns the answer into an event stream (once), sending what was held for a JSON body as its first events. */
  private events(): void {
    if (this.mode !== 'undecided' || !this.stream.open) return
    this.mode = 'events'
    this.stream.head(200, { ...EVENT_STREAM_HEADERS, ...this.headers })
    for (const message of this.held) this.stream.write(messageEvent(message))
    this.held = []
  }

  private endWhenAnswered(): void {
    if (this.pending.size === 0 && this.stream.open) this.stream.end()
  }
}
