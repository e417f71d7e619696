import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import type { Config } from '../config.js'
import { HttpError } from './errors.js'

/**
 * Security headers, and the spec's DNS-rebinding defence: a browser always sends `Origin`, so a request
 * carrying one that is not explicitly allowed is refused. Non-browser clients send none and pass.
 */
export default fp(async function security(app: FastifyInstance, { config }: { config: Config }) {
  // @fastify/helmet rebuilds helmet's header setters on every request (about 2 % of the CPU of a tool call
  // in the benchmark's profile); we keep the maintained plugin rather than a hand-wired copy of it.
  await app.register(helmet, { global: true })
  const allowed = new Set(config.allowedOrigins)
  app.addHook('onRequest', async (request) => {
    const origin = request.headers.origin
    if (origin !== undefined && !allowed.has(origin)) {
      request.log.warn({ event: 'origin_refused' }, 'request with a disallowed Origin refused')
      throw new HttpError(403, 'Forbidden: Origin not allowed')
    }
  })
})
