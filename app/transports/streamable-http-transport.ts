import type { JSONRPCMessage, RequestId, Transport, TransportSendOptions } from '@modelcontextprotocol/server'
import type { BoundedStream } from '../sessions/bounded-stream.js'
import { KEEPALIVE, LONG_STREAM_HEADERS, messageEvent } from './event-stream.js'
import { PostAnswer } from './post-answer.js'
import { answeredRequest, cancelledRequest } from '../protocol.js'

/**
 * Streamable HTTP (2025-03-26 to 2025-11-25) for one session, on the raw Node response, written for this
 * server instead of the SDK's transport, which turns every request into a web Request/Response and queues
 * answers inside a web stream where no bound can see them. Every byte goes through a BoundedStream (the
 * same primitive as legacy SSE), so a client that never reads is cut off when its backlog passes the
 * stream bound or its key's budget. No resumability: no event ids, `Last-Event-ID` is ignored (the SDK
 * transport we replaced had no event store either). HTTP validation is the route's (streamable-http.ts).
 */
export class StreamableHttpTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: Transport['onmessage']
  /**
   * A request of the client is settled: cancelled by the client, or its POST's answer is written out (or
   * gone). Not at the answer itself: a client that never reads then holds at most the in-flight bound of
   * answers, as the SDK transport's did, on top of the stream bound and key budget.
   */
  onsettled?: (id: RequestId) => void
  /** The POST answer each request in flight is to be written to. */
  private readonly answers = new Map<RequestId, PostAnswer>()
  private readonly open = new Set<PostAnswer>()
  private standalone?: BoundedStream
  private closed = false

  /** `sessionId` undefined: one POST of a stateless server (stateless-http.ts), whose answers name no session. */
  constructor(readonly sessionId: string | undefined) {}

  /** What every answer carries besides its media type: the session id, when there is a session. */
  private get sessionHeaders(): Record<string, string> {
    return this.sessionId === undefined ? {} : { 'mcp-session-id': this.sessionId }
  }

  async start(): Promise<void> {}

  get hasStandaloneStream(): boolean {
    return this.standalone?.open ?? false
  }

  /** POSTed messages with no request among them (notifications, responses): the route answers 202. */
  receive(messages: JSONRPCMessage[]): void {
    for (const message of messages) {
      const cancelled = cancelledRequest(message)
      // The SDK answers no cancelled request, so the request's POST stops waiting for it here.
      if (cancelled !== undefined) this.cancelled(cancelled)
      this.onmessage?.(message)
    }
  }

  /** POSTed messages with requests among them, answered on `stream`. */
  answer(messages: JSONRPCMessage[], requestIds: RequestId[], stream: BoundedStream, batch: boolean): void {
    const answer = new PostAnswer(stream, new Set(requestIds), batch, this.sessionHeaders)
    for (const id of requestIds) this.answers.set(id, answer)
    this.open.add(answer)
    // The POST is gone (answered, cut off for not reading, or the client left): what it still waits for
    // is cancelled, which aborts the handlers (ctx.mcpReq.signal), and no longer counts as in flight.
    stream.whenEnded(() => this.abandon(answer))
    this.receive(messages)
  }

  /** The standalone GET stream, for server messages not related to a request (one per session). */
  openStandaloneStream(stream: BoundedStream): void {
    this.standalone = stream
    stream.head(200, { ...LONG_STREAM_HEADERS, ...this.sessionHeaders }, true)
    stream.whenEnded(() => {
      if (this.standalone === stream) this.standalone = undefined
    })
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new Error('Not connected')
    const answers = answeredRequest(message)
    const related = answers ?? options?.relatedRequestId
    if (related === undefined) {
      this.standalone?.write(messageEvent(message))
      return
    }
    // No POST waits for it: the client left, and the request was cancelled with it.
    const answer = this.answers.get(related)
    if (answers !== undefined) this.answers.delete(answers)
    answer?.deliver(message, answers)
  }

  /** Sent every heartbeat interval by the registry's sweep: keep-alive bytes on every stream of the session. */
  heartbeat(): void {
    for (const answer of this.open) answer.heartbeat()
    this.standalone?.write(KEEPALIVE)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const answer of this.open) answer.end()
    this.standalone?.end()
    this.onclose?.()
  }

  /** The client cancelled a request: no answer will come (the SDK answers no cancelled request). */
  private cancelled(id: RequestId): void {
    const answer = this.answers.get(id)
    if (answer === undefined) return
    this.answers.delete(id)
    answer.counted.delete(id)
    this.onsettled?.(id)
    answer.drop(id)
  }

  private abandon(answer: PostAnswer): void {
    this.open.delete(answer)
    for (const id of answer.pending) {
      if (this.answers.get(id) !== answer) continue
      this.answers.delete(id)
      if (!this.closed) this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'the client closed the request' } })
    }
    answer.pending.clear()
    for (const id of answer.counted) this.onsettled?.(id)
    answer.counted.clear()
  }
}
