import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * One line per finished request (Fastify's own request logging is off: it would log before we know the
 * principal). Successes are debug so the call path stays cheap; refusals are info, failures error.
 */
export default fp(async function requestLog(app: FastifyInstance) {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode
    const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug'
    request.log[level](
      { method: request.method, url: request.url.split('?')[0], status, ms: Math.round(reply.elapsedTime) },
      'request completed',
    )
  })
})
