import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import type { Config } from '../config.js'
import { HttpError } from './errors.js'

/**
 * Security headers, and the spec's DNS-rebinding defence: a browser always sends `Origin`, so a request
 * carrying one that is not explicitly allowed is refused. Non-browser clients send none and pass.
 */
export default fp(async function security(app: FastifyInstance, { config }: { config: Config }) {
  // Built once. @fastify/helmet rebuilt every header setter (CSP parsing included) on each request: 2.3 %
  // of the server's CPU per Streamable HTTP tool call in the benchmark's profile.
  const securityHeaders = helmet()
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)))
  const allowed = new Set(config.allowedOrigins)
  app.addHook('onRequest', async (request) => {
    const origin = request.headers.origin
    if (origin !== undefined && !allowed.has(origin)) {
      request.log.warn({ event: 'origin_refused' }, 'request with a disallowed Origin refused')
      throw new HttpError(403, 'Forbidden: Origin not allowed')
    }
  })
})
