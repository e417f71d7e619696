import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/server'
import type { BoundedStream } from '../sessions/bounded-stream.js'
import { LONG_STREAM_HEADERS, messageEvent } from './event-stream.js'
import { answeredRequest, cancelledRequest } from '../protocol.js'

const PING = ': ping\n\n'

/**
 * Legacy HTTP+SSE transport (protocol 2024-11-05), written for this server instead of the SDK's
 * SSEServerTransport because the session id must be ours (signed, naming the owner task), the endpoint
 * must honour the base path, and POST bodies arrive already parsed and validated by Fastify.
 */
export class SseServerTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: Transport['onmessage']
  /** A request of the client is settled: answered, or cancelled by the client (the SDK answers no cancelled request). */
  onsettled?: (id: RequestId) => void
  private closed = false

  constructor(
    readonly sessionId: string,
    readonly stream: BoundedStream,
    private readonly endpoint: string,
  ) {}

  async start(): Promise<void> {
    // Flushed on its own: the head then leaves no header string behind for the stream's life (≈ 1.5 KB per idle session).
    this.stream.head(200, LONG_STREAM_HEADERS, true)
    this.stream.write(`event: endpoint\ndata: ${this.endpoint}?sessionId=${this.sessionId}\n\n`)
    // whenEnded() also calls back when the client left before the stream started: the session closes at once.
    this.stream.whenEnded(() => this.finish())
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('Not connected')
    const answered = answeredRequest(message)
    if (answered !== undefined) this.onsettled?.(answered)
    this.stream.write(messageEvent(message))
  }

  heartbeat(): void {
    this.stream.write(PING)
  }

  /** A message the client POSTed to the session's endpoint. */
  receive(message: JSONRPCMessage): void {
    const cancelled = cancelledRequest(message)
    if (cancelled !== undefined) this.onsettled?.(cancelled)
    this.onmessage?.(message)
  }

  async close(): Promise<void> {
    this.stream.end()
    this.finish()
  }

  private finish() {
    if (this.closed) return
    this.closed = true
    this.onclose?.()
  }
}
