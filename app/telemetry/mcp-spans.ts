import { context, createContextKey, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Histogram, type Span } from '@opentelemetry/api'
import type { JSONRPCMessage, JSONRPCRequest, RequestId, Transport } from '@modelcontextprotocol/server'
import { cancelledRequest, carryRoundContext, isRequest, isResponse, takeRoundContext } from '../protocol.js'
import type { Telemetry } from './sdk.js'

/*
 * MCP spans and metrics as the OpenTelemetry semantic conventions for MCP define them
 * (semantic-conventions-genai, docs/gen-ai/mcp.md and model/mcp/*.yaml; status: development): one SERVER span
 * per request the server receives, named `{mcp.method.name} {target}` where the target is the tool or prompt
 * name (a resource URI is an attribute, not part of the name: the conventions keep names low-cardinality by
 * default), `error.type` `tool_error` for a result with `isError`, else the JSON-RPC error code; the trace
 * context of a request travels in `params._meta` (`traceparent`, `tracestate`), which MCP 2026-07-28
 * reserves for it. Metrics: `mcp.server.operation.duration` and `mcp.server.session.duration`, in seconds.
 */

/** What the HTTP layer knows of the request a message arrived in, put in the active context for its handler. */
export interface HttpTrace {
  /** The HTTP SERVER span of the request: linked from each MCP span of its messages. */
  span: Span
  /** The context its `traceparent` header carried (the root context when it carried none). */
  headerContext: Context
  /** Relayed by another task: its header context is the relay's span, the parent of what is served here. */
  relayed: boolean
}
export const HTTP_TRACE = createContextKey('mcp-fargate-server http request')

/** The boundaries the conventions advise for both duration histograms (seconds). */
const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]

const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion'

/** Who and what a traced transport serves. */
export interface TracedSession {
  /** The principal's name (a key's name, or `oauth:<subject>`): never a secret. */
  principal: string
  /** Absent on MCP 2026-07-28 requests, which have no session. */
  sessionId: string | undefined
}

interface Pending {
  span: Span
  started: number
  /** The attributes the span and the duration metric share (low cardinality), completed when it is answered. */
  metric: Attributes
  /** The span's own: the request id, the resource URI. */
  request: Attributes
  progressToken?: string | number
}

type Meta = Record<string, unknown> | undefined
const metaOf = (message: JSONRPCRequest): Meta => message.params?._meta as Meta

/**
 * The context a request's span continues: the relay's, else the one its `_meta` carries, else the round it
 * retries (MRTR), else its HTTP request's.
 */
function parentOf(message: JSONRPCRequest, http: HttpTrace | undefined, round: Context | undefined): Context {
  if (http?.relayed) return http.headerContext
  const meta = metaOf(message)
  if (typeof meta?.traceparent === 'string') return propagation.extract(ROOT_CONTEXT, meta)
  return round ?? http?.headerContext ?? ROOT_CONTEXT
}

/** Puts the answering span's context ahead of an input-required result's `requestState` (app/protocol.ts). */
function carryRound(result: { requestState?: unknown }, span: Span): void {
  const carrier: Record<string, string> = {}
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier)
  carryRoundContext(result, carrier.traceparent)
}

/** The context of the round a retry answers, taken off its `requestState`: the retry's span is a child of it. */
function takeRound(message: JSONRPCRequest): Context | undefined {
  const traceparent = takeRoundContext(message)
  return traceparent === undefined ? undefined : propagation.extract(ROOT_CONTEXT, { traceparent })
}

/** A request's span name, and the conventions' attributes: those the duration metric shares, and the span's own. */
function describe(message: JSONRPCRequest): { name: string; metric: Attributes; request: Attributes } {
  const method = message.method
  const params = (message.params ?? {}) as Record<string, unknown>
  // No `jsonrpc.protocol.version`: the conventions recommend it only when it is not 2.0, which MCP's always is.
  const metric: Attributes = { 'mcp.method.name': method, 'network.transport': 'tcp', 'network.protocol.name': 'http' }
  const request: Attributes = { 'jsonrpc.request.id': String(message.id) }
  let target: unknown
  if (method === 'tools/call') {
    target = params.name
    metric['gen_ai.tool.name'] = String(target)
    metric['gen_ai.operation.name'] = 'execute_tool'
  } else if (method === 'prompts/get') {
    target = params.name
    metric['gen_ai.prompt.name'] = String(target)
  } else if (typeof params.uri === 'string') request['mcp.resource.uri'] = params.uri
  return { name: typeof target === 'string' ? `${method} ${target}` : method, metric, request }
}

/** `error.type` of an answer: the JSON-RPC error code, `tool_error` for a tool result with `isError`, or none. */
function errorOf(message: JSONRPCMessage): { type: string; code?: string } | undefined {
  if ('error' in message) return { type: String(message.error.code), code: String(message.error.code) }
  if ('result' in message && (message.result as { isError?: unknown }).isError === true) return { type: 'tool_error' }
  return undefined
}

/**
 * Traces what the MCP servers of this task receive, and records the conventions' metrics. `observe` is called
 * with each transport a server connects to, once the SDK has installed its receiver on it.
 */
export class McpTracing {
  private readonly operationDuration: Histogram
  private readonly sessionDuration: Histogram

  constructor(readonly telemetry: Telemetry) {
    const advice = { explicitBucketBoundaries: DURATION_BUCKETS }
    this.operationDuration = telemetry.meter.createHistogram('mcp.server.operation.duration', { unit: 's', description: 'MCP request duration as observed on the receiver from the time it was received until the result or ack is sent.', advice })
    this.sessionDuration = telemetry.meter.createHistogram('mcp.server.session.duration', { unit: 's', description: 'The duration of the MCP session as observed on the MCP server.', advice })
  }

  get tracer() {
    return this.telemetry.tracer
  }

  /** Wraps the transport's receiver, sender and close: a span per request, from its arrival to its answer. */
  observe(transport: Transport, session: TracedSession): void {
    const pending = new Map<RequestId, Pending>()
    const byProgressToken = new Map<string | number, Pending>()
    const opened = performance.now()
    let protocolVersion: string | undefined
    const common: Attributes = { 'user.id': session.principal, ...(session.sessionId !== undefined && { 'mcp.session.id': session.sessionId }) }

    const finish = (id: RequestId, outcome: { type: string; code?: string } | undefined) => {
      const entry = pending.get(id)
      if (!entry) return
      pending.delete(id)
      if (entry.progressToken !== undefined) byProgressToken.delete(entry.progressToken)
      const { span, metric } = entry
      if (protocolVersion !== undefined) metric['mcp.protocol.version'] = protocolVersion
      if (outcome) {
        metric['error.type'] = outcome.type
        if (outcome.code !== undefined) metric['rpc.response.status_code'] = outcome.code
        span.setStatus({ code: SpanStatusCode.ERROR })
      }
      // Attributes only for a span the sampler kept: most are not, and cost nothing more then.
      if (span.isRecording()) span.setAttributes(common).setAttributes(entry.request).setAttributes(metric)
      span.end()
      this.operationDuration.record((performance.now() - entry.started) / 1000, metric)
    }

    const receive = transport.onmessage
    transport.onmessage = (message, extra) => {
      if (!isRequest(message)) {
        const cancelled = cancelledRequest(message)
        if (cancelled !== undefined) {
          pending.get(cancelled)?.span.addEvent('mcp.request.cancelled', { reason: String((message as { params?: { reason?: unknown } }).params?.reason ?? '') })
          finish(cancelled, { type: 'cancelled' })
        }
        return receive?.(message, extra)
      }
      const meta = metaOf(message)
      if (typeof meta?.[PROTOCOL_VERSION_META] === 'string') protocolVersion = meta[PROTOCOL_VERSION_META]
      const http = context.active().getValue(HTTP_TRACE) as HttpTrace | undefined
      const round = takeRound(message)
      const { name, metric, request } = describe(message)
      // A link to an HTTP span the sampler dropped would lead nowhere.
      const links = http?.span.isRecording() ? [{ context: http.span.spanContext() }] : undefined
      const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, links }, parentOf(message, http, round))
      const entry: Pending = { span, started: performance.now(), metric, request }
      const token = meta?.progressToken
      if (typeof token === 'string' || typeof token === 'number') {
        entry.progressToken = token
        byProgressToken.set(token, entry)
      }
      pending.set(message.id, entry)
      // The handler runs in the span's context: what it calls upstream is a child of it.
      context.with(trace.setSpan(context.active(), span), () => receive?.(message, extra))
    }

    const send = transport.send.bind(transport)
    transport.send = (message, options) => {
      if (isResponse(message) && message.id !== undefined) {
        const result = (message as { result?: { protocolVersion?: unknown; resultType?: unknown; requestState?: unknown } }).result
        const entry = pending.get(message.id)
        if (typeof result?.protocolVersion === 'string' && entry?.metric['mcp.method.name'] === 'initialize') protocolVersion = result.protocolVersion
        if (result?.resultType === 'input_required' && entry) carryRound(result, entry.span)
        finish(message.id, errorOf(message))
      } else if ('method' in message && message.method === 'notifications/progress') {
        const { progressToken, progress, total } = (message.params ?? {}) as { progressToken?: string | number; progress?: number; total?: number }
        const entry = progressToken === undefined ? undefined : byProgressToken.get(progressToken)
        entry?.span.addEvent('mcp.progress', { progress: progress ?? 0, ...(total !== undefined && { total }) })
      }
      return send(message, options)
    }

    const close = transport.onclose
    transport.onclose = () => {
      for (const id of [...pending.keys()]) finish(id, { type: 'session_closed' })
      if (session.sessionId !== undefined) {
        this.sessionDuration.record((performance.now() - opened) / 1000, { 'network.transport': 'tcp', 'network.protocol.name': 'http', ...(protocolVersion !== undefined && { 'mcp.protocol.version': protocolVersion }) })
      }
      close?.()
    }
  }
}
