import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
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

/**
 * Security headers, and the spec's DNS-rebinding defence: a browser always sends `Origin`, so a request
 * carrying one that is not explicitly allowed is refused. Non-browser clients send none and pass.
 */
export default fp(async function security(app: FastifyInstance, { config }: { config: Config }) {
  const securityHeaders = helmetDefaultHeaders()
  const allowed = new Set(config.allowedOrigins)
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(securityHeaders)
    const origin = request.headers.origin
    if (origin !== undefined && !allowed.has(origin)) {
      request.log.warn({ event: 'origin_refused' }, 'request with a disallowed Origin refused')
      throw new HttpError(403, 'Forbidden: Origin not allowed')
    }
  })
})
