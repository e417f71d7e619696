import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import mcpApp from './app.js'
import errors from './http/errors.js'

/** Where a secret could appear in a log object; pino replaces it before the line is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers["set-cookie"]',
]

export interface ServerOptions {
  owner: string
  /** Where log lines go; defaults to stdout. */
  logStream?: NodeJS.WritableStream
}

/** A Fastify instance with the MCP app mounted, configured for long-lived streams behind a load balancer. */
export async function buildServer(config: Config, { owner, logStream }: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      ...(logStream ? { stream: logStream } : {}),
    },
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.maxBodyBytes,
    trustProxy: config.trustProxy,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    forceCloseConnections: 'idle',
  })
  app.server.headersTimeout = config.headersTimeoutMs
  // Only JSON bodies exist here; without this parser text/plain would be read instead of refused with 415.
  app.removeContentTypeParser('text/plain')
  await app.register(errors)
  await app.register(mcpApp, { config, owner })
  return app
}
