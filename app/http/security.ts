import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import { localhostAllowedOrigins, validateOriginHeader } from '@modelcontextprotocol/server'
import type { Config } from '../config.js'
import { HttpError } from './errors.js'

/**
 * The headers helmet's default middleware sets, worked out once: with its defaults (no CSP nonces) every
 * one of them is a constant. `@fastify/helmet` builds helmet's middleware again on every request
 * (`helmet(configuration)(req, res, done)` in its onRequest hook): 4 % of a tool call's CPU in the benchmark's
 * profile, and its setHeader calls leave a header store on every long-lived stream.
 */
function helmetDefaultHeaders(): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {}
  const recorder = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  }
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, () => {})
  return headers
}

/** Origins of a page served from this machine: `http(s)://localhost`, `127.0.0.1` or `[::1]`, any port. */
const isLocalOrigin = (origin: string) => validateOriginHeader(origin, localhostAllowedOrigins()).ok

/**
 * Security headers, and the spec's DNS-rebinding defence: a browser always sends `Origin`, so a request
 * carrying one that is not explicitly allowed is refused. Non-browser clients send none and pass. Outside
 * production a page on this machine is allowed too (the Inspector's web UI, the official conformance suite),
 * as the SDK's `localhostAllowedOrigins` allows for local servers: the check exists against DNS rebinding
 * (spec 2026-07-28 basic/transports/streamable-http, "Security & Endpoint"), whose pages carry their own
 * site's Origin, never localhost. A deployed task (NODE_ENV=production) allows only MCP_ALLOWED_ORIGINS.
 */
export default fp(async function security(app: FastifyInstance, { config }: { config: Config }) {
  const securityHeaders = helmetDefaultHeaders()
  const allowed = new Set(config.allowedOrigins)
  const allowLocal = !config.production
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(securityHeaders)
    const origin = request.headers.origin
    if (origin !== undefined && !allowed.has(origin) && !(allowLocal && isLocalOrigin(origin))) {
      request.log.warn({ event: 'origin_refused' }, 'request with a disallowed Origin refused')
      throw new HttpError(403, 'Forbidden: Origin not allowed')
    }
  })
})
