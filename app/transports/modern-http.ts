import { performance } from 'node:perf_hooks'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PROTOCOL_VERSION_META_KEY, classifyInboundRequest, createMcpHandler } from '@modelcontextprotocol/server'
import { hijack } from '../http/hijack.js'
import type { ApiKey } from '../keys.js'
import type { BoundedStream } from '../sessions/bounded-stream.js'
import { roundOf } from '../sessions/message-kinds.js'
import type { ServerFactory } from '../sessions/registry.js'
import { EVENT_STREAM_HEADERS, KEEPALIVE } from './event-stream.js'

/** The first revision without sessions (SDK: `isModernProtocolVersion`, a string comparison of dates). */
const FIRST_MODERN_REVISION = '2026-07-28'

const claimsModern = (message: unknown): boolean => {
  const meta = (message as { params?: { _meta?: unknown } } | null)?.params?._meta
  return typeof meta === 'object' && meta !== null && PROTOCOL_VERSION_META_KEY in meta
}

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * Whether a POST to /mcp is MCP 2026-07-28 (or must get that revision's error answer), as the SDK's own
 * entry decides it (`classifyInboundRequest`, the step behind `isLegacyRequest`). The SDK classifies a
 * message as legacy unless its `_meta` carries the protocol-version claim or the MCP-Protocol-Version header
 * names a modern revision (server dist src-DdvbAHrR.mjs, classifyRequestBody / classifyNotificationBody /
 * classifyBatch), so a message with neither goes to the 2025 path without asking it: the SDK's check
 * re-parses the message with zod, a cost every 2025 request would pay. A request carrying both an envelope
 * and an Mcp-Session-Id is modern: the spec has a server ignore the stray session id
 * (2026-07-28 basic/transports/streamable-http "Earlier Streamable HTTP Revisions").
 */
export function isModernRequest(request: FastifyRequest): boolean {
  const version = header(request, 'mcp-protocol-version')?.trim()
  const body = request.body
  const claimed = Array.isArray(body) ? body.some(claimsModern) : claimsModern(body)
  if (!claimed && !(version !== undefined && version >= FIRST_MODERN_REVISION)) return false
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    protocolVersionHeader: version,
    mcpMethodHeader: header(request, 'mcp-method'),
    mcpNameHeader: header(request, 'mcp-name'),
  })
  return route.kind !== 'legacy'
}

/** The headers the SDK's modern entry reads: the media types and the MCP ones (method, name, version, params). */
function entryHeaders(request: FastifyRequest): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string' && (name === 'content-type' || name === 'accept' || name.startsWith('mcp-'))) headers.set(name, value)
  }
  return headers
}

/** Methods named in the metrics; any other name a client sends counts as `other`, so labels stay few. */
const METRIC_METHODS = new Set([
  'server/discover',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'subscriptions/listen',
])

/** What the audit line says of a request: its method and the tool, prompt or resource it names, cut short. */
function describe(body: unknown) {
  const { method, params } = (body ?? {}) as { method?: unknown; params?: { name?: unknown; uri?: unknown; inputResponses?: unknown } }
  const name = params?.name ?? params?.uri
  return {
    method: typeof method === 'string' ? method.slice(0, 100) : 'none',
    name: typeof name === 'string' ? name.slice(0, 200) : undefined,
    // An input-required retry is a POST of its own (MRTR): the audit line says which round it is.
    round: roundOf(params?.inputResponses),
  }
}

/** Who a modern request's server is built for: the request's principal and log, found by its web Request. */
interface Caller {
  principal: ApiKey
  log: FastifyBaseLogger
}

export interface ModernHttpOptions {
  createServer: ServerFactory
  heartbeatMs: number
  audit: FastifyBaseLogger
}

/**
 * MCP 2026-07-28 on `POST /mcp`: no session, every request self-describing, so any task serves any request
 * (no relay, no stickiness). The SDK's strict modern entry (`createMcpHandler` with `legacy: 'reject'`)
 * checks the headers, version and client capabilities, answers `server/discover` and runs the request on a
 * server built for it; 2025 traffic never reaches it (streamable-http.ts routes on `isModernRequest`). Its
 * answer is written through a BoundedStream like every other stream, and a silent call gets heartbeats.
 */
export function modernHttp(app: FastifyInstance, { createServer, heartbeatMs, audit }: ModernHttpOptions) {
  const callers = new WeakMap<Request, Caller>()
  const handler = createMcpHandler(
    ({ requestInfo }) => {
      const caller = requestInfo && callers.get(requestInfo)
      if (!caller) throw new Error('a modern request reached the SDK without its caller')
      return createServer(caller.principal, undefined, caller.log)
    },
    {
      legacy: 'reject',
      // Heartbeats on the SDK's own event streams (a call that streams progress); ModernAnswer covers the rest.
      keepAliveMs: heartbeatMs,
      onerror: (error) => app.log.debug({ err: error }, 'modern request refused or failed'),
    },
  )
  app.addHook('onClose', () => handler.close())

  return async function serveModern(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = performance.now()
    // Everything that may refuse the request happens before the reply is handed over and the request counted.
    const aborted = new AbortController()
    const webRequest = new Request('http://localhost/mcp', { method: 'POST', headers: entryHeaders(request), signal: aborted.signal })
    callers.set(webRequest, { principal: request.principal, log: request.log })
    const release = app.modernRequests.admit(request.principal)
    const stream = app.sessions.bound(request.principal, hijack(reply), request.log)
    const answer = new ModernAnswer(stream, heartbeatMs)
    stream.whenEnded(() => {
      // Closing the answer before it is complete cancels the request (2026-07-28's cancellation).
      if (!answer.complete) aborted.abort()
      release()
    })
    let status = 500
    let completed = false
    try {
      const response = await handler.fetch(webRequest, { parsedBody: request.body })
      status = response.status
      completed = await answer.deliver(response)
    } catch (error) {
      // The answer's head may be out already: end the stream rather than answer twice.
      request.log.error({ err: error }, 'modern request failed while answering')
      stream.end()
    }
    const described = describe(request.body)
    const outcome = status >= 500 ? 'error' : !completed ? 'cancelled' : status >= 400 ? 'rejected' : 'ok'
    app.metrics.modernRequests.inc({ method: METRIC_METHODS.has(described.method) ? described.method : 'other', outcome })
    audit.info(
      { event: 'modern_request', principal: request.principal.name, ...described, status, outcome, durationMs: Math.round(performance.now() - started) },
      'modern request',
    )
  }
}

/**
 * The answer to one modern request, as the 2025 transport answers a POST (PostAnswer): the SDK's answer
 * passes through as it is (a JSON body, or an event stream once the call streams progress or logs) when it
 * comes before the next heartbeat; a call silent for longer turns the answer into an event stream at once,
 * kept alive by heartbeats through the balancer's idle timeout, and its answer arrives as an event.
 */
class ModernAnswer {
  /** The whole answer was handed to the stream. */
  complete = false
  private streaming = false
  private readonly heartbeat: NodeJS.Timeout

  constructor(
    private readonly stream: BoundedStream,
    heartbeatMs: number,
  ) {
    this.heartbeat = setInterval(() => this.keepAlive(), heartbeatMs)
    stream.whenEnded(() => clearInterval(this.heartbeat))
  }

  /** Writes the SDK's answer; false when the stream ended before all of it was written. */
  async deliver(response: Response): Promise<boolean> {
    clearInterval(this.heartbeat)
    if (!this.stream.open) {
      await response.body?.cancel()
      return false
    }
    if (!this.streaming) {
      this.stream.head(response.status, Object.fromEntries(response.headers))
    } else if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
      const body = await response.text()
      this.stream.write(`event: message\ndata: ${body}\n\n`)
      return this.finish()
    }
    if (response.body) {
      const reader = response.body.getReader()
      this.stream.whenEnded(() => void reader.cancel().catch(() => {}))
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (!this.stream.write(chunk.value)) return false
      }
    }
    return this.finish()
  }

  private keepAlive(): void {
    if (!this.streaming) {
      this.streaming = true
      this.stream.head(200, EVENT_STREAM_HEADERS, true)
    }
    this.stream.write(KEEPALIVE)
  }

  private finish(): boolean {
    const open = this.stream.open
    this.complete = open
    this.stream.end()
    return open
  }
}
