import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import type { Config } from './config.js'
import mcpApp from './app.js'
import { buildPeerServer } from './peer.js'
import { createListener } from './server-options.js'
import { resolvePeerAddress } from './sessions/peer-address.js'
import { SERVER_INFO } from './mcp/server.js'
import { McpTracing } from './telemetry/mcp-spans.js'
import { startTelemetry } from './telemetry/sdk.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** MCP spans and metrics over OpenTelemetry; undefined when tracing is off (no OTLP endpoint set). */
    mcpTracing: McpTracing | undefined
  }
}

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

/**
 * Log bytes waiting for stdout at most. A slow log sink under a flood (failed logins, say) would otherwise
 * grow the task's memory without limit: past this pino's destination drops lines and says so in a metric.
 */
const LOG_BUFFER_BYTES = 2 * 1024 * 1024

export interface ServerOptions {
  /** Where log lines go; defaults to stdout. */
  logStream?: NodeJS.WritableStream
}

/**
 * A Fastify instance with the MCP app mounted, configured for long-lived streams behind a load balancer.
 * When the peer port is on, a second listener for relayed requests starts and stops with it.
 */
export async function buildServer(config: Config, { logStream }: ServerOptions = {}): Promise<FastifyInstance> {
  const telemetry = config.telemetry && (await startTelemetry(config.telemetry, SERVER_INFO.version))
  const mcpTracing = telemetry && new McpTracing(telemetry)
  const stdout = logStream ? undefined : pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_BYTES })
  const app = await createListener(config, {
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Asynchronous: a log line costs no write(2) on the call path, lines are written in batches while the
      // previous write is under way. pino flushes what is buffered when the process exits (pino
      // docs/asynchronous.md; on-exit-leak-free in lib/tools.js); a SIGKILL can lose the last lines.
      stream: logStream ?? stdout,
    },
    trustProxy: config.trustProxy,
  }, mcpTracing && { tracer: mcpTracing.tracer, relayed: false })
  app.decorate('mcpTracing', mcpTracing)
  // Last to close: the spans of what closing ended are exported before the process goes.
  if (telemetry) app.addHook('onClose', () => telemetry.shutdown())
  const owner = await resolvePeerAddress(config)
  // Outside production one process is the rule and the warning only puzzled; a local cluster shares the secret
  // as production does (docs/architecture.md, "Sessions across tasks").
  if (owner && !config.sessionSecret && config.production) {
    app.log.warn('MCP_SESSION_SECRET is not set: session ids are signed with a per-process secret, so other tasks cannot relay to this one')
  }
  const secret = config.sessionSecret ?? randomBytes(32).toString('base64url')
  await app.register(mcpApp, { config, secret, owner })
  stdout?.on('drop', () => app.metrics.logLinesDropped.inc())
  if (telemetry) app.metrics.countSpansDropped(() => telemetry.spansDropped)
  if (owner) {
    const peer = await buildPeerServer(app, config, secret)
    // Bound before the public port, in onReady: an error there fails listen() (onListen's errors are only
    // logged, which served with relaying silently off). Outside production only this machine may relay.
    app.addHook('onReady', async () => {
      await peer.listen({ port: config.peerPort, host: config.production ? config.host : '127.0.0.1' })
    })
    app.addHook('onClose', () => peer.close())
  }
  return app
}
