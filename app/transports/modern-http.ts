import { performance } from 'node:perf_hooks'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { INTERNAL_ERROR, createMcpHandler, type McpServer, type ServerEventBus } from '@modelcontextprotocol/server'
import { hijack } from '../sessions/hijack.js'
import { holdOf } from '../http/input-bounds.js'
import type { Principal } from '../keys.js'
import type { BoundedStream } from '../sessions/bounded-stream.js'
import { roundOf } from '../protocol.js'
import { ModernExchange, seedClientIdentity } from './modern-exchange.js'
import { echoedId, refusal, rejection, type ModernMessage, type ModernRoute, type Refusal } from './modern-route.js'

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

/** Who a request through the SDK's entry is served for: the request's principal and log, found by its web Request. */
interface Caller {
  principal: Principal
  log: FastifyBaseLogger
}

/**
 * The servers of MCP 2026-07-28 requests (the app wires app/mcp/server.ts RequestServers in): one is taken for a
 * request and given back once the request is answered whole, for the next request to reuse.
 */
export interface RequestServerPool {
  take(principal: Principal, log: FastifyBaseLogger): McpServer
  giveBack(server: McpServer): void
}

export interface ModernHttpOptions {
  servers: RequestServerPool
  heartbeatMs: number
  audit: FastifyBaseLogger
  /** Tools whose calls carry `Mcp-Param-*` headers (SEP-2243): served through the SDK's entry, which checks them. */
  toolsWithParamHeaders: ReadonlySet<string>
  /** The change events `subscriptions/listen` streams are fed from. */
  changes: ServerEventBus
}

/**
 * MCP 2026-07-28 on `POST /mcp`: no session, every request self-describing, so any task serves any request
 * (no relay, no stickiness); 2025 traffic never comes here (streamable-http.ts routes on `modernRoute`).
 * A request is refused as the SDK's strict modern entry would (`refusal`), then served by a server of its own
 * while it runs (reused from an answered request: RequestServerPool) over a ModernExchange, which writes the answer through a BoundedStream like every other stream, with
 * heartbeats for a silent call. We do not hand requests to the SDK's entry (`createMcpHandler`): it turns each
 * into a web Request and its answer into a web Response, which made a modern call cost 1.8× the CPU in the
 * benchmark's profile (1.49 against 0.83 ms), and it would classify the request a second time.
 * Two kinds of request still go to the SDK's entry: `subscriptions/listen`, whose stream its event bus feeds, and
 * a call to a tool with `x-mcp-header` parameters, whose `Mcp-Param-*` headers it checks against the arguments
 * before dispatch (index.mjs, `serveModern`: `scanXMcpHeaderDeclarations`, `validateMcpParamHeaders`).
 */
export function modernHttp(app: FastifyInstance, { servers, heartbeatMs, audit, toolsWithParamHeaders, changes }: ModernHttpOptions) {
  const callers = new WeakMap<Request, Caller>()
  const sdkEntry = createMcpHandler(
    ({ requestInfo }) => {
      const caller = requestInfo && callers.get(requestInfo)
      if (!caller) throw new Error('a modern request reached the SDK without its caller')
      // The SDK's entry closes the server when it is done with it: it is not given back.
      return servers.take(caller.principal, caller.log)
    },
    { legacy: 'reject', keepAliveMs: heartbeatMs, bus: changes, onerror: (error) => app.log.debug({ err: error }, 'a request through the SDK entry was refused or failed') },
  )
  app.addHook('onClose', () => sdkEntry.close())

  /** Whether the SDK's entry serves the request (see above) rather than our exchange. */
  function forSdkEntry(route: ModernMessage): boolean {
    if (route.messageKind !== 'request') return false
    const { method, params } = route.message
    return method === 'subscriptions/listen' || (method === 'tools/call' && typeof params?.name === 'string' && toolsWithParamHeaders.has(params.name))
  }

  /** The SDK entry's answer (a JSON body or an event stream), copied through our bound; true if it ended whole. */
  async function throughSdkEntry(request: FastifyRequest, stream: BoundedStream): Promise<boolean> {
    const aborted = new AbortController()
    const webRequest = new Request('http://localhost/mcp', { method: 'POST', headers: entryHeaders(request), signal: aborted.signal })
    callers.set(webRequest, { principal: request.principal, log: request.log })
    stream.whenEnded(() => aborted.abort())
    const response = await sdkEntry.fetch(webRequest, { parsedBody: request.body })
    if (!stream.open) {
      await response.body?.cancel()
      return false
    }
    if (response.headers.get('content-type')?.startsWith('application/json')) {
      // A JSON answer is whole in the SDK's Response already: sent with its length, as our own JSON answers are
      // (PostAnswer), so what sits in front (the Lambda handler, a proxy) can refuse one too large before a byte leaves.
      const body = Buffer.from(await response.arrayBuffer())
      if (!stream.open) return false
      stream.head(response.status, { ...Object.fromEntries(response.headers), 'content-length': body.byteLength })
      if (!stream.write(body)) return false
      stream.end()
      return true
    }
    stream.head(response.status, Object.fromEntries(response.headers), true)
    if (response.body) {
      const reader = response.body.getReader()
      stream.whenEnded(() => void reader.cancel().catch(() => {}))
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (!stream.write(chunk.value)) return false
      }
    }
    // The SDK's stream also ends when we cancel it because the client left: that answer did not end whole.
    if (!stream.open) return false
    stream.end()
    return true
  }

  /**
   * Serves the request on a server of its own while it runs; true if its answer was written whole. Only the
   * server of an answered request is given back: a notification's handler runs after its 202, and on a server
   * serving someone else's request by then, a `notifications/cancelled` could name that request's id.
   */
  async function exchange(request: FastifyRequest, route: ModernMessage, stream: BoundedStream): Promise<boolean> {
    const modernExchange = new ModernExchange(route.classification, stream, heartbeatMs)
    const server = servers.take(request.principal, request.log)
    seedClientIdentity(server, route.message)
    await server.connect(modernExchange)
    await modernExchange.serve(route.message)
    if (modernExchange.answered && route.messageKind === 'request') servers.giveBack(server)
    return modernExchange.answered
  }

  function record(request: FastifyRequest, started: number, status: number, outcome: string) {
    const described = describe(request.body)
    app.metrics.modernRequests.inc({ method: METRIC_METHODS.has(described.method) ? described.method : 'other', outcome })
    audit.info(
      { event: 'modern_request', principal: request.principal.name, ...described, status, outcome, durationMs: Math.round(performance.now() - started) },
      'modern request',
    )
  }

  /** A request refused before any server is built: its JSON-RPC error, with the request's id. */
  async function refuse(request: FastifyRequest, reply: FastifyReply, started: number, { status, error }: Refusal) {
    await reply.code(status).send({ jsonrpc: '2.0', id: echoedId(request.body), error })
    record(request, started, status, 'rejected')
  }

  return async function serveModern(request: FastifyRequest, reply: FastifyReply, route: ModernRoute): Promise<void> {
    const started = performance.now()
    if (route.kind === 'reject') return refuse(request, reply, started, rejection(route))
    const refused = refusal(route, request)
    if (refused) return refuse(request, reply, started, refused)
    // The caps may refuse it (429, 503) before the reply is handed over and the request counted.
    const release = app.modernRequests.admit(holdOf(request))
    const stream = app.sessions.bound(request.principal, hijack(reply), request.log)
    stream.whenEnded(release)
    let complete = false
    try {
      complete = forSdkEntry(route) ? await throughSdkEntry(request, stream) : await exchange(request, route, stream)
    } catch (error) {
      request.log.error({ err: error }, 'modern request failed while answering')
      if (!reply.raw.headersSent) {
        stream.head(500, { 'content-type': 'application/json' })
        stream.write(JSON.stringify({ jsonrpc: '2.0', id: echoedId(request.body), error: { code: INTERNAL_ERROR, message: 'Internal error' } }))
      }
      stream.end()
      return record(request, started, 500, 'error')
    }
    const status = reply.raw.statusCode
    record(request, started, status, status >= 500 ? 'error' : !complete ? 'cancelled' : status >= 400 ? 'rejected' : 'ok')
  }
}
