import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PerRequestHTTPServerTransport,
  type McpServer,
  ProtocolErrorCode,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestId,
  type TransportSendOptions,
} from '@modelcontextprotocol/server'
import type { BoundedStream } from '../sessions/bounded-stream.js'
import { answeredRequest } from '../protocol.js'
import { PostAnswer } from './post-answer.js'

/** How the SDK classified a modern request: the revision it claims (the server's era follows it). */
export type Classification = ConstructorParameters<typeof PerRequestHTTPServerTransport>[0]['classification']

/**
 * The HTTP status of an error the protocol layer answers before any handler runs (method not found, an
 * envelope it refuses), as SDK 2.4.0's per-request transport gives it (src LADDER_ERROR_HTTP_STATUS, used in
 * PerRequestHTTPServerTransport.send); -32021 is a 400 whoever raises it. Every other answer is a 200.
 */
const LADDER_STATUS = new Map<number, number>([
  [ProtocolErrorCode.ParseError, 400],
  [ProtocolErrorCode.InvalidRequest, 400],
  [ProtocolErrorCode.MethodNotFound, 404],
  [ProtocolErrorCode.UnsupportedProtocolVersion, 400],
  [ProtocolErrorCode.MissingRequiredClientCapability, 400],
  [-32020, 400], // HeaderMismatch
])

/** Where SDK 2.4.0's `Server` keeps what a client said of itself (server dist mcp-oHn3ureC.mjs, `writeClientIdentity`). */
interface ClientIdentity {
  _clientCapabilities?: unknown
  _clientVersion?: unknown
}

/**
 * Tells the server of a modern request who the client is, from the request's envelope, as the SDK's own HTTP
 * entry does (`seedClientIdentityFromEnvelope`, which the SDK does not export): so `getClientCapabilities()`
 * and `getClientVersion()` answer on every era, as they do after a 2025 initialize. Both are set for every
 * request, to nothing when the envelope names nothing: the server may have served another client before
 * (RequestServers). The start-up self-test proves the fields still exist (a modern whoami names its client).
 */
export function seedClientIdentity(server: McpServer, message: JSONRPCRequest | JSONRPCNotification): void {
  const meta = message.params?._meta as Record<string, unknown> | undefined
  const identity = server.server as unknown as ClientIdentity
  identity._clientCapabilities = meta?.[CLIENT_CAPABILITIES_META_KEY]
  identity._clientVersion = meta?.[CLIENT_INFO_META_KEY]
}

const errorCode = (message: JSONRPCMessage) => ('error' in message ? message.error.code : undefined)

/**
 * One MCP 2026-07-28 request, served by the server taken for it and answered on our own write path, as a
 * 2025 session's POST is (PostAnswer over a BoundedStream: one JSON body when quick, an event stream with
 * heartbeats when it streams or stays silent). It replaces the SDK's `PerRequestHTTPServerTransport`, whose
 * answer is a web `Response` (and a web stream once it streams), and the SDK's zod checks on every message
 * it sends: the benchmark's profile had them at ≈ 12 % of a modern call's CPU. It extends that class only to
 * be recognised by it: `Server.connect` binds a server to the request's revision when the transport is the
 * SDK's per-request one (server dist mcp-oHn3ureC.mjs, `connect` and `perRequestClassificationOf`); every
 * method a transport needs is ours, none of the SDK class's behaviour is used. Closing the exchange before
 * the answer is the request's cancellation: the SDK aborts the handler (`ctx.mcpReq.signal`) when its
 * transport closes.
 */
export class ModernExchange extends PerRequestHTTPServerTransport {
  /** The answer was written whole. */
  answered = false
  private readonly answer: PostAnswer
  private readonly heartbeat: NodeJS.Timeout
  private requestId?: RequestId
  /** The message is being handed to the protocol layer: an error sent now is one of its pre-handler refusals. */
  private dispatching = false
  private closed = false
  private finish!: () => void
  private readonly finished = new Promise<void>((resolve) => (this.finish = resolve))

  constructor(
    private readonly classification: Classification,
    stream: BoundedStream,
    heartbeatMs: number,
  ) {
    super({ classification })
    this.answer = new PostAnswer(stream, new Set(), false, {})
    this.heartbeat = setInterval(() => this.answer.heartbeat(), heartbeatMs)
    // Answered, cut off for not reading, or left by the client: the request is over for the server too.
    stream.whenEnded(() => void this.close())
  }

  /** Hands the request to the connected server; resolves when it is answered or the exchange closed. */
  async serve(message: JSONRPCRequest | JSONRPCNotification): Promise<void> {
    const request = 'id' in message
    if (request) {
      this.requestId = message.id
      this.answer.pending.add(message.id)
    }
    this.dispatching = true
    try {
      this.onmessage?.(message, { classification: this.classification })
    } finally {
      this.dispatching = false
    }
    if (!request) {
      // A notification is accepted and gets no answer (2026-07-28 streamable-http: 202 Accepted).
      this.answer.stream.head(202, {})
      this.answered = true
      this.answer.stream.end()
    }
    return this.finished
  }

  override async start(): Promise<void> {}

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return
    const answers = answeredRequest(message)
    // A modern request has only its own answer to be written to: nothing else is related to anything.
    if ((answers ?? options?.relatedRequestId) !== this.requestId || this.requestId === undefined) return
    const code = errorCode(message)
    const ladder = code !== undefined && (this.dispatching || code === ProtocolErrorCode.MissingRequiredClientCapability)
    const written = this.answer.deliver(message, answers, ladder ? (LADDER_STATUS.get(code) ?? 200) : 200)
    if (answers === undefined) return
    this.answered = written
    // Answered: the server has nothing left in flight, and it and this exchange are garbage together. Its
    // close (Protocol._onclose) would only build a ConnectionClosed error for nobody and abort the signal of
    // the request just answered: ≈ 6 % of a modern call's CPU in the benchmark's profile.
    this.end()
  }

  /** Ends the exchange before its answer (the client left, or the server closes): the handler is aborted. */
  override async close(): Promise<void> {
    if (this.closed) return
    this.end()
    if (this.answer.stream.open) this.answer.end()
    this.onclose?.()
  }

  private end(): void {
    this.closed = true
    clearInterval(this.heartbeat)
    this.finish()
  }
}
