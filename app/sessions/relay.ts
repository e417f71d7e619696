import { createHmac, timingSafeEqual } from 'node:crypto'
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { pipeline } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { sessionNotFound } from '../http/errors.js'
import type { Metrics } from '../http/metrics.js'
import { hijack } from '../transports/hijack.js'

/** Header carrying the principal the relaying task authenticated, signed with the shared session secret. */
export const RELAY_HEADER = 'x-mcp-relay'
const MAX_CLOCK_SKEW_MS = 60_000
/** Until the owner's response headers: a dead owner's address must fail fast so the client can move on. */
const CONNECT_TIMEOUT_MS = 5_000

/** Request headers the owner needs; the client's key is not among them (the owner trusts the signature). */
const FORWARDED_HEADERS = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'user-agent']
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'])

function mac(secret: string, principal: string, sessionId: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${principal}\n${sessionId}\n${timestamp}`).digest('base64url')
}

export function signRelay(secret: string, principal: string, sessionId: string, now = Date.now()): string {
  const timestamp = String(now)
  return `${principal}.${timestamp}.${mac(secret, principal, sessionId, timestamp)}`
}

/** The principal a relaying task vouches for, or undefined when the header is missing, stale or forged. */
export function verifyRelay(secret: string, header: string | undefined, sessionId: string, now = Date.now()): string | undefined {
  const parts = header?.split('.')
  if (parts?.length !== 3) return undefined
  const [principal, timestamp, given] = parts
  if (!(Math.abs(now - Number(timestamp)) <= MAX_CLOCK_SKEW_MS)) return undefined
  const expected = Buffer.from(mac(secret, principal, sessionId, timestamp))
  const actual = Buffer.from(given)
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? principal : undefined
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

  constructor(
    private readonly secret: string,
    private readonly metrics: Metrics,
  ) {}

  async forward(request: FastifyRequest, reply: FastifyReply, sessionId: string, owner: string): Promise<void> {
    const upstream = await this.send(request, sessionId, owner).catch((error: NodeJS.ErrnoException) => {
      // The owner is gone (replaced, killed, scaled in): the session is too, and the client re-initializes.
      request.log.info({ event: 'relay_failed', owner, code: error.code }, 'session owner unreachable')
      this.metrics.relayed.inc({ outcome: 'owner_unreachable' })
      throw sessionNotFound()
    })
    this.metrics.relayed.inc({ outcome: 'relayed' })
    const response = hijack(reply)
    response.writeHead(upstream.statusCode ?? 502, responseHeaders(upstream.headers))
    response.flushHeaders()
    // Either side ending or failing ends the other: a dead owner ends the client's stream, and a client
    // that leaves releases the owner's.
    pipeline(upstream, response, () => {})
  }

  close(): void {
    this.agent.destroy()
  }

  private send(request: FastifyRequest, sessionId: string, owner: string): Promise<IncomingMessage> {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body)
    const headers: Record<string, string> = {
      [RELAY_HEADER]: signRelay(this.secret, request.principal.name, sessionId),
      'x-forwarded-for': request.ip,
    }
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
    return new Promise((resolve, reject) => {
      const upstream = httpRequest({ ...parseOwner(owner), agent: this.agent, method: request.method, path: request.url, headers })
      upstream.setTimeout(CONNECT_TIMEOUT_MS, () => upstream.destroy(Object.assign(new Error('relay timeout'), { code: 'ETIMEDOUT' })))
      upstream.once('response', (response) => {
        upstream.setTimeout(0)
        resolve(response)
      })
      upstream.once('error', reject)
      upstream.end(body)
    })
  }
}

function responseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)))
}
