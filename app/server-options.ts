import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import Fastify, { LogController, type FastifyHttpOptions, type FastifyInstance } from 'fastify'
import type { JsonParser } from './http/json-body.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The listener's JSON body parser (shape checked, charged to the request's input hold). */
    parseJson: JsonParser
  }
}
import type { Config } from './config.js'
import errors from './http/errors.js'
import { shapedJsonParser } from './http/json-body.js'
import requestLog from './http/request-log.js'
import httpTracing, { type HttpTracingOptions } from './http/tracing.js'

/** Fastify settings shared by the public listener and the peer listener. */
function serverOptions(config: Config) {
  return {
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.maxBodyBytes,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    forceCloseConnections: 'idle',
    // Node checks headersTimeout only every connectionsCheckingInterval (30 s by default), which would let a
    // slowloris connection live up to 30 s past MCP_HEADERS_TIMEOUT_MS.
    http: { connectionsCheckingInterval: Math.min(config.headersTimeoutMs, 1_000) },
  } satisfies FastifyHttpOptions<Server>
}

/**
 * A listener as both the public port and the peer port need it: the same limits and timeouts, JSON bodies
 * only, and the one error handler and request log, so an answer or a log line never depends on the port.
 */
export async function createListener(
  config: Config,
  options: Pick<FastifyHttpOptions<Server>, 'logger' | 'loggerInstance' | 'trustProxy'>,
  tracing?: HttpTracingOptions,
): Promise<FastifyInstance> {
  const listener = Fastify({ ...serverOptions(config), ...options })
  listener.server.headersTimeout = config.headersTimeoutMs
  // Only JSON bodies exist here; without this parser text/plain would be read instead of refused with 415.
  listener.removeContentTypeParser('text/plain')
  const parseJson = shapedJsonParser(config, listener.getDefaultJsonParser('error', 'error'))
  listener.removeContentTypeParser('application/json')
  listener.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson)
  listener.decorate('parseJson', parseJson)
  await listener.register(errors)
  await listener.register(requestLog)
  if (tracing) await listener.register(httpTracing, tracing)
  return listener
}
