import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HttpError, RpcCode, sessionNotFound } from '../http/errors.js'
import type { Metrics } from '../http/metrics.js'
import { relayedPrincipal } from '../keys.js'
import { hijack } from './hijack.js'

/** Header carrying the principal the relaying task authenticated and what it vouches for, signed with the shared secret. */
export const RELAY_HEADER = 'x-mcp-relay'
const VERSION = 'r3'
/**
 * How long a signature is good for, either side of its timestamp. Tasks keep their clocks with the Amazon
 * Time Sync Service (skew well under a second), and a relay is sent the moment it is signed.
 */
export const RELAY_WINDOW_MS = 5_000
/**
 * Nonces remembered at most (each lives one window): far above what one task relays in 2 × RELAY_WINDOW_MS,
 * and a few MiB at worst. Past it the owner refuses relays (503) rather than forget a nonce early.
 */
const MAX_NONCES = 50_000
/**
 * Connecting to the owner's peer port, and nothing after: a dead owner's address must fail fast so the
 * client can move on. A reused keep-alive connection has nothing to connect.
 */
const CONNECT_TIMEOUT_MS = 5_000
/**
 * Every stream the owner sends carries a heartbeat each MCP_HEARTBEAT_MS (tasks share that setting), so this
 * many heartbeats without a byte means the owner is gone or frozen, even though its socket is still open.
 * The same rule covers the wait for the owner's response headers: an answer to a POST stays undecided (no
 * headers) until its answer or its first heartbeat, which turns it into an event stream (PostAnswer), so a
 * silent call of any length has headers within one heartbeat. That is why the owner need not flush headers
 * at once on a relayed POST: a quick call keeps its plain JSON body through the relay, as it has directly.
 */
const SILENT_HEARTBEATS = 3

/**
 * Request headers the owner needs, each covered by the signature; the client's key is not among them (the
 * owner trusts the signature). The trace context travels too: the client's, or the relay's span when tracing is on.
 */
const FORWARDED_HEADERS = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'user-agent', 'traceparent', 'tracestate']

/** The forwarded headers as a signature covers them: each name with its value, or with nothing when absent. */
export function forwardedHeaders(headers: IncomingHttpHeaders): string {
  return FORWARDED_HEADERS.map((name) => `${name}:${typeof headers[name] === 'string' ? headers[name] : ''}`).join('\n')
}
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'])

/** What a relay signature binds: exactly this request, on this session. */
export interface RelayedRequest {
  method: string
  /** Path and query, as sent on the request line. */
  url: string
  sessionId: string
  /** forwardedHeaders() of the request: what it accepts, its protocol revision, where its stream resumes. */
  headers: string
  /** sha256 of the body bytes (of nothing for a request without a body), base64url. */
  bodyDigest: string
}

export function bodyDigest(body: Buffer | string = ''): string {
  return createHash('sha256').update(body).digest('base64url')
}

function mac(secret: string, fields: string[]): string {
  return createHmac('sha256', secret).update(fields.join('\n')).digest('base64url')
}

function signedFields(encodedPrincipal: string, timestamp: string, nonce: string, request: RelayedRequest): string[] {
  return [VERSION, encodedPrincipal, timestamp, nonce, request.method, request.url, request.sessionId, request.headers, request.bodyDigest]
}

/**
 * `r3.<principal>.<timestamp>.<nonce>.<body digest>.<mac>`. The principal is base64url, so any key name
 * (dots included) survives the split; the digest travels in the header so the owner can check the
 * signature before it reads the body, and the body against the digest once it has.
 */
export function signRelay(secret: string, principal: string, request: RelayedRequest, now = Date.now()): string {
  const encodedPrincipal = Buffer.from(principal).toString('base64url')
  const timestamp = String(now)
  const nonce = randomBytes(12).toString('base64url')
  const signature = mac(secret, signedFields(encodedPrincipal, timestamp, nonce, request))
  return [VERSION, encodedPrincipal, timestamp, nonce, request.bodyDigest, signature].join('.')
}

/** A signature that checked out: the principal vouched for and the digest the body must match. */
export interface VerifiedRelay {
  principal: string
  bodyDigest: string
}

/**
 * The owner's side: a signature is accepted once, within RELAY_WINDOW_MS of its timestamp. Nonces are kept
 * only for the window they could be replayed in, so memory stays bounded by the relay rate.
 */
export class RelayVerifier {
  /** Nonce → the moment its signature expires. Insertion order is (nearly) expiry order. */
  private readonly seen = new Map<string, number>()

  constructor(
    private readonly secret: string,
    private readonly maxNonces = MAX_NONCES,
  ) {}

  /** The relay's principal and body digest, or undefined when the header is missing, malformed, forged, stale or replayed. */
  verify(header: string | undefined, request: Omit<RelayedRequest, 'bodyDigest'>, now = Date.now()): VerifiedRelay | undefined {
    const parts = header?.split('.')
    if (parts?.length !== 6 || parts[0] !== VERSION) return undefined
    const [, encodedPrincipal, timestamp, nonce, digest, given] = parts
    const expected = Buffer.from(mac(this.secret, signedFields(encodedPrincipal, timestamp, nonce, { ...request, bodyDigest: digest })))
    const actual = Buffer.from(given)
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined
    const signedAt = Number(timestamp)
    if (!(Math.abs(now - signedAt) <= RELAY_WINDOW_MS)) return undefined
    if (!this.remember(nonce, signedAt + RELAY_WINDOW_MS, now)) return undefined
    return { principal: Buffer.from(encodedPrincipal, 'base64url').toString(), bodyDigest: digest }
  }

  /** Whether the nonce is new; it is then kept until it expires. Throws (503) when the store is full. */
  private remember(nonce: string, expiresAt: number, now: number): boolean {
    for (const [oldest, expiry] of this.seen) {
      if (expiry >= now) break
      this.seen.delete(oldest)
    }
    if (this.seen.has(nonce)) return false
    if (this.seen.size >= this.maxNonces) throw relayBusy()
    this.seen.set(nonce, expiresAt)
    return true
  }
}

/** More relays within one window than the owner can remember: refuse rather than forget. */
const relayBusy = () => new HttpError(503, 'Too many relayed requests; retry shortly', RpcCode.server, { 'retry-after': '1' })

/**
 * The context a relay span continues: the trace context in the `_meta` of a body that is one request (what the
 * owner's MCP span would continue), else the active one (the HTTP request's span).
 */
function relayParent(body: unknown): Context {
  const meta = (body as { params?: { _meta?: Record<string, unknown> } } | undefined)?.params?._meta
  return typeof meta?.traceparent === 'string' ? propagation.extract(ROOT_CONTEXT, meta) : context.active()
}

function parseOwner(owner: string): { host: string; port: number } {
  const at = owner.lastIndexOf(':')
  return { host: owner.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(owner.slice(at + 1)) }
}

/**
 * Forwards a request for a session another task owns to that task's peer port and streams the owner's
 * answer back: the hand-written piece that lets any task serve any session when clients keep no cookies.
 */
export class Relay {
  // Connections to each owner are kept and reused, so a relayed call pays no new TCP connection.
  private readonly agent = new Agent({ keepAlive: true })
  private readonly silenceMs: number

  constructor(
    private readonly secret: string,
    private readonly metrics: Metrics,
    heartbeatMs: number,
    /** Traces each relay as an HTTP CLIENT span whose context the owner continues; absent when tracing is off. */
    private readonly tracer?: Tracer,
  ) {
    this.silenceMs = SILENT_HEARTBEATS * heartbeatMs
  }

  async forward(request: FastifyRequest, reply: FastifyReply, sessionId: string, owner: string): Promise<void> {
    const upstream = await this.send(request, reply.raw, sessionId, owner).catch((error: NodeJS.ErrnoException) => {
      if (reply.raw.destroyed) {
        // The client left before the owner answered; the owner saw its request end and cancelled the call.
        this.metrics.relayed.inc({ outcome: 'client_left' })
        reply.hijack()
        return undefined
      }
      // The owner is gone (replaced, killed, scaled in): the session is too, and the client re-initializes.
      request.log.info({ event: 'relay_failed', owner, code: error.code }, 'session owner unreachable')
      this.metrics.relayed.inc({ outcome: 'owner_unreachable' })
      throw sessionNotFound()
    })
    if (!upstream) return
    this.metrics.relayed.inc({ outcome: 'relayed' })
    const { response, headers } = hijack(reply)
    response.writeHead(upstream.statusCode ?? 502, { ...headers, ...responseHeaders(upstream.headers) })
    response.flushHeaders()
    // Either side ending or failing ends the other: a dead or silent owner ends the client's stream, and a
    // client that leaves releases the owner's.
    pipeline(upstream, response, () => {})
  }

  close(): void {
    this.agent.destroy()
  }

  /** The owner's answer, once its headers arrive. `client` is the response the answer is for. */
  private send(request: FastifyRequest, client: ServerResponse, sessionId: string, owner: string): Promise<IncomingMessage> {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body)
    const forwarded: Record<string, string> = {}
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name]
      if (typeof value === 'string') forwarded[name] = value
    }
    const span = this.tracer && this.startSpan(request, owner, forwarded)
    const signed = { method: request.method, url: request.url, sessionId, headers: forwardedHeaders(forwarded), bodyDigest: bodyDigest(body) }
    const headers: Record<string, string> = {
      ...forwarded,
      [RELAY_HEADER]: signRelay(this.secret, relayedPrincipal(request.principal), signed),
      'x-forwarded-for': request.ip,
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
    const sent = this.request(request, client, owner, headers, body)
    if (span) endWith(span, sent)
    return sent
  }

  /** The relay's CLIENT span (HTTP client conventions), its context put in the forwarded trace headers. */
  private startSpan(request: FastifyRequest, owner: string, forwarded: Record<string, string>): Span {
    const { host, port } = parseOwner(owner)
    const span = this.tracer!.startSpan(
      request.method,
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': request.method, 'server.address': host, 'server.port': port, 'url.path': request.url.split('?')[0] } },
      relayParent(request.body),
    )
    delete forwarded.traceparent
    delete forwarded.tracestate
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), forwarded)
    return span
  }

  private request(request: FastifyRequest, client: ServerResponse, owner: string, headers: Record<string, string>, body: string | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest({ ...parseOwner(owner), agent: this.agent, method: request.method, path: request.url, headers })
      let answered = false
      upstream.once('socket', (socket) => {
        if (!socket.connecting) return
        const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('relay connect timeout'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS)
        socket.once('connect', () => clearTimeout(timer)).once('close', () => clearTimeout(timer))
      })
      // From connecting on (Node arms a request's timeout once its socket is connected), the socket's idle
      // timer measures the owner's silence, before its headers and after; destroying the request ends the
      // response, and the pipeline the client's stream with it.
      upstream.setTimeout(this.silenceMs)
      upstream.on('timeout', () => {
        if (!answered) return upstream.destroy(Object.assign(new Error('relay timeout'), { code: 'ETIMEDOUT' }))
        // Nothing was read because the client is not reading (the pipeline paused us), not because the owner
        // is silent: the owner's stream bound judges a slow reader, as it does a direct one.
        if (client.writableNeedDrain) return void upstream.setTimeout(this.silenceMs)
        request.log.info({ event: 'relay_silent', owner, silentMs: this.silenceMs }, 'session owner went silent')
        this.metrics.relayed.inc({ outcome: 'owner_silent' })
        upstream.destroy()
      })
      // A client that leaves, before the owner's headers or after, ends the owner's request, and the owner
      // cancels the call as it does for a client of its own (once the request is answered, this does nothing).
      client.once('close', () => upstream.destroy())
      upstream.once('response', (response) => {
        answered = true
        resolve(response)
      })
      upstream.once('error', reject)
      upstream.end(body)
    })
  }
}

/** Ends a relay span when the owner's answer ends (or the relay fails). */
function endWith(span: Span, sent: Promise<IncomingMessage>): void {
  sent.then(
    (response) => {
      span.setAttribute('http.response.status_code', response.statusCode ?? 0)
      if ((response.statusCode ?? 0) >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      response.once('close', () => span.end())
    },
    (error: NodeJS.ErrnoException) => {
      span.setAttribute('error.type', error.code ?? 'Error')
      span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    },
  )
}

function responseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)))
}
