import { performance } from 'node:perf_hooks'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PROTOCOL_VERSION_META_KEY, UnsupportedProtocolVersionError, classifyInboundRequest, createMcpHandler } from '@modelcontextprotocol/server'
import { hijack } from '../http/hijack.js'
import type { ApiKey } from '../keys.js'
import type { BoundedStream } from '../sessions/bounded-stream.js'
import { roundOf } from '../sessions/message-kinds.js'
import type { ServerFactory } from '../sessions/registry.js'
import { ModernExchange } from './modern-exchange.js'

/** The first revision without sessions (SDK: `isModernProtocolVersion`, a string comparison of dates). */
const FIRST_MODERN_REVISION = '2026-07-28'

/** The code of a disagreement between the standard headers and the body (2026-07-28 HeaderMismatch). */
const HEADER_MISMATCH = -32020

const claimsModern = (message: unknown): boolean => {
  const meta = (message as { params?: { _meta?: unknown } } | null)?.params?._meta
  return typeof meta === 'object' && meta !== null && PROTOCOL_VERSION_META_KEY in meta
}

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name]
  return typeof value === 'string' ? value : undefined
}

type Classified = ReturnType<typeof classifyInboundRequest>
/** A POST that MCP 2026-07-28 answers: a request to serve, or one of that revision's refusals. */
export type ModernRoute = Exclude<Classified, { kind: 'legacy' }>
type ModernMessage = Extract<Classified, { kind: 'modern' }>

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
export function modernRoute(request: FastifyRequest): ModernRoute | undefined {
  const version = header(request, 'mcp-protocol-version')?.trim()
  const body = request.body
  const claimed = Array.isArray(body) ? body.some(claimsModern) : claimsModern(body)
  if (!claimed && !(version !== undefined && version >= FIRST_MODERN_REVISION)) return undefined
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    protocolVersionHeader: version,
    mcpMethodHeader: header(request, 'mcp-method'),
    mcpNameHeader: header(request, 'mcp-name'),
  })
  return route.kind === 'legacy' ? undefined : route
}

/** A JSON-RPC error answered before any server is built, with its HTTP status. */
interface Refusal {
  status: number
  error: { code: number; message: string; data?: unknown }
}

const mismatch = (header: string, body: string): Refusal => ({
  status: 400,
  error: { code: HEADER_MISMATCH, message: `Bad Request: the request headers and body disagree: ${body}`, data: { mismatch: { header, body } } },
})

/** Which param the Mcp-Name header repeats, by method (SDK 2.4.0 src MCP_NAME_HEADER_SOURCE). */
const NAMED_PARAM: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri', 'tasks/get': 'taskId', 'tasks/update': 'taskId', 'tasks/cancel': 'taskId' }

/** An Mcp-Name value: as it is, or the UTF-8 inside a `=?base64?…?=` sentinel; undefined when that is not canonical Base64. */
function decodeName(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value
  const base64 = value.slice(9, -2)
  return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64) ? Buffer.from(base64, 'base64').toString('utf8') : undefined
}

/**
 * What the SDK's modern entry refuses before building a server, in its order (createMcpHandler's
 * `serveModern`): a classification refusal, a revision it does not serve (-32022), then a standard header
 * that is missing or disagrees with the body (-32020; `validateStandardRequestHeaders`, of which the
 * classification checks only the disagreements it can see). Written here because we serve the request
 * without the SDK's entry (see `modernHttp`). Its other rungs have nothing to check in SDK 2.4.0 or in our
 * catalog: no method requires a client capability (`REQUIRED_CLIENT_CAPABILITIES_BY_METHOD` is empty), no
 * tool declares an `x-mcp-header` parameter, and keys carry no OAuth scopes.
 */
function refusal(route: ModernRoute, request: FastifyRequest): Refusal | undefined {
  if (route.kind === 'reject') return { status: route.httpStatus, error: { code: route.code, message: route.message, data: route.data } }
  const revision = route.classification.revision
  if (revision !== FIRST_MODERN_REVISION) {
    const error = new UnsupportedProtocolVersionError({ supported: [FIRST_MODERN_REVISION], requested: revision ?? 'unknown' })
    return { status: 400, error: { code: error.code, message: error.message, data: error.data } }
  }
  if (route.messageKind !== 'request') return undefined
  const { method, params } = route.message
  if (header(request, 'mcp-protocol-version') === undefined) {
    return mismatch('(missing)', `the body envelope names protocol version ${revision} but the required MCP-Protocol-Version header is absent`)
  }
  if (header(request, 'mcp-method') === undefined) return mismatch('(missing)', `the body names method ${method} but the required Mcp-Method header is absent`)
  const field = Object.hasOwn(NAMED_PARAM, method) ? NAMED_PARAM[method] : undefined
  if (field === undefined) return undefined
  const named = params?.[field]
  const value = typeof named === 'string' ? named : undefined
  const nameHeader = header(request, 'mcp-name')?.replace(/^[\t ]+|[\t ]+$/g, '')
  if (nameHeader === undefined) {
    return value === undefined ? undefined : mismatch('(missing)', `the body carries params.${field}="${value}" but the required Mcp-Name header is absent`)
  }
  const decoded = decodeName(nameHeader)
  if (decoded === undefined) return mismatch(nameHeader, 'the Mcp-Name header carries an invalid Base64 sentinel value')
  if (value !== undefined && decoded !== value) return mismatch(nameHeader, `the body carries params.${field}="${value}" but the Mcp-Name header names "${decoded}"`)
  return undefined
}

/** The id an error answer echoes: the body's, when it is one request with a string or number id. */
function echoedId(body: unknown): string | number | null {
  const { method, id } = (body ?? {}) as { method?: unknown; id?: unknown }
  return !Array.isArray(body) && typeof method === 'string' && (typeof id === 'string' || typeof id === 'number') ? id : null
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

/** Who a `subscriptions/listen` stream is opened for: the request's principal and log, found by its web Request. */
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
 * (no relay, no stickiness); 2025 traffic never comes here (streamable-http.ts routes on `modernRoute`).
 * A request is refused as the SDK's strict modern entry would (`refusal`), then served by a server built
 * for it over a ModernExchange, which writes the answer through a BoundedStream like every other stream, with
 * heartbeats for a silent call. We do not hand requests to the SDK's entry (`createMcpHandler`): it turns each
 * into a web Request and its answer into a web Response, which cost a modern call ≈ 30 % more CPU in the
 * benchmark, and it would classify the request a second time. `subscriptions/listen` still goes to the SDK's
 * entry, whose event bus feeds that stream.
 */
export function modernHttp(app: FastifyInstance, { createServer, heartbeatMs, audit }: ModernHttpOptions) {
  const callers = new WeakMap<Request, Caller>()
  const listenEntry = createMcpHandler(
    ({ requestInfo }) => {
      const caller = requestInfo && callers.get(requestInfo)
      if (!caller) throw new Error('a modern request reached the SDK without its caller')
      return createServer(caller.principal, undefined, caller.log)
    },
    { legacy: 'reject', keepAliveMs: heartbeatMs, onerror: (error) => app.log.debug({ err: error }, 'modern request refused or failed') },
  )
  app.addHook('onClose', () => listenEntry.close())

  /** A `subscriptions/listen` stream, copied from the SDK's entry through our bound; true if it ended whole. */
  async function listen(request: FastifyRequest, stream: BoundedStream): Promise<boolean> {
    const aborted = new AbortController()
    const webRequest = new Request('http://localhost/mcp', { method: 'POST', headers: entryHeaders(request), signal: aborted.signal })
    callers.set(webRequest, { principal: request.principal, log: request.log })
    stream.whenEnded(() => aborted.abort())
    const response = await listenEntry.fetch(webRequest, { parsedBody: request.body })
    if (!stream.open) {
      await response.body?.cancel()
      return false
    }
    stream.head(response.status, Object.fromEntries(response.headers), true)
    if (response.body) {
      const reader = response.body.getReader()
      stream.whenEnded(() => void reader.cancel().catch(() => {}))
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (!stream.write(chunk.value)) return false
      }
    }
    stream.end()
    return true
  }

  /** Serves the request on a server built for it; true if its answer was written whole. */
  async function exchange(request: FastifyRequest, route: ModernMessage, stream: BoundedStream): Promise<boolean> {
    const exchange = new ModernExchange(route.classification, stream, heartbeatMs)
    await createServer(request.principal, undefined, request.log).connect(exchange)
    await exchange.serve(route.message)
    return exchange.answered
  }

  function record(request: FastifyRequest, started: number, status: number, outcome: string) {
    const described = describe(request.body)
    app.metrics.modernRequests.inc({ method: METRIC_METHODS.has(described.method) ? described.method : 'other', outcome })
    audit.info(
      { event: 'modern_request', principal: request.principal.name, ...described, status, outcome, durationMs: Math.round(performance.now() - started) },
      'modern request',
    )
  }

  return async function serveModern(request: FastifyRequest, reply: FastifyReply, route: ModernRoute): Promise<void> {
    const started = performance.now()
    const refused = refusal(route, request)
    if (refused) {
      await reply.code(refused.status).send({ jsonrpc: '2.0', id: echoedId(request.body), error: refused.error })
      return record(request, started, refused.status, 'rejected')
    }
    const modern = route as ModernMessage
    // The caps may refuse it (429, 503) before the reply is handed over and the request counted.
    const release = app.modernRequests.admit(request.principal)
    const stream = app.sessions.bound(request.principal, hijack(reply), request.log)
    stream.whenEnded(release)
    let complete = false
    try {
      complete = modern.messageKind === 'request' && modern.message.method === 'subscriptions/listen' ? await listen(request, stream) : await exchange(request, modern, stream)
    } catch (error) {
      request.log.error({ err: error }, 'modern request failed while answering')
      stream.end()
      return record(request, started, 500, 'error')
    }
    const status = reply.raw.statusCode
    record(request, started, status, status >= 500 ? 'error' : !complete ? 'cancelled' : status >= 400 ? 'rejected' : 'ok')
  }
}
