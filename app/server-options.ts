import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import { LogController, type FastifyHttpOptions } from 'fastify'
import type { Config } from './config.js'

/** Fastify settings shared by the public listener and the peer listener. */
export function serverOptions(config: Config) {
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
