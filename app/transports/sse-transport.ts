import { finished } from 'node:stream'
import {
  isJSONRPCErrorResponse,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
  type Transport,
} from '@modelcontextprotocol/server'
import type { BoundedStream } from '../sessions/bounded-stream.js'

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  // The stream is the connection's whole life: when it ends the socket goes too, so shutdown never waits
  // on an idle keep-alive connection left behind by an ended stream.
  connection: 'close',
}

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
    this.stream.response.writeHead(200, SSE_HEADERS)
    this.stream.write(`event: endpoint\ndata: ${this.endpoint}?sessionId=${this.sessionId}\n\n`)
    // finished() also calls back when the client left before the stream started: the session closes at once.
    finished(this.stream.response, () => this.finish())
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('Not connected')
    const answered = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message) ? message.id : undefined
    if (answered !== undefined) this.onsettled?.(answered)
    this.stream.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`)
  }

  /** A message the client POSTed to the session's endpoint. */
  receive(message: JSONRPCMessage): void {
    const requestId = 'method' in message && message.method === 'notifications/cancelled' ? message.params?.requestId : undefined
    if (typeof requestId === 'string' || typeof requestId === 'number') this.onsettled?.(requestId)
    this.onmessage?.(message)
  }

  async close(): Promise<void> {
    this.stream.response.end()
    this.finish()
  }

  private finish() {
    if (this.closed) return
    this.closed = true
    this.onclose?.()
  }
}
