import { isIP } from 'node:net'
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Config } from '../config.js'
import { notFound } from './errors.js'

/** Every metric the server publishes. Labels never carry a key or a session id. */
export class Metrics {
  readonly registry = new Registry()
  readonly sessionsOpen = new Gauge({ name: 'mcp_sessions_open', help: 'Open MCP sessions on this task', labelNames: ['transport'] as const, registers: [this.registry] })
  readonly messages = new Counter({ name: 'mcp_messages_total', help: 'JSON-RPC messages received from clients', labelNames: ['transport'] as const, registers: [this.registry] })
  readonly toolCalls = new Counter({ name: 'mcp_tool_calls_total', help: 'Tool calls by tool and outcome', labelNames: ['tool', 'outcome'] as const, registers: [this.registry] })
  readonly toolCallSeconds = new Histogram({
    name: 'mcp_tool_call_duration_seconds',
    help: 'Tool call latency',
    labelNames: ['tool'] as const,
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2, 10, 60],
    registers: [this.registry],
  })
  readonly authFailures = new Counter({ name: 'mcp_auth_failures_total', help: 'Requests with a missing or wrong API key', registers: [this.registry] })
  readonly rateLimited = new Counter({ name: 'mcp_rate_limited_total', help: 'Requests refused by a rate limit or session cap', labelNames: ['reason'] as const, registers: [this.registry] })
  readonly modernInFlight = new Gauge({ name: 'mcp_modern_requests_in_flight', help: 'MCP 2026-07-28 requests being served on this task', registers: [this.registry] })
  readonly modernRequests = new Counter({
    name: 'mcp_modern_requests_total',
    help: 'MCP 2026-07-28 requests by method and outcome (ok, rejected, error, cancelled)',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly logLinesDropped = new Counter({ name: 'mcp_log_lines_dropped_total', help: 'Log lines dropped because stdout did not keep up (the log buffer was full)', registers: [this.registry] })
  readonly relayed = new Counter({ name: 'mcp_relayed_requests_total', help: 'Requests relayed to the task owning their session', labelNames: ['outcome'] as const, registers: [this.registry] })

  constructor() {
    collectDefaultMetrics({ register: this.registry })
  }

  /** The request bytes the task holds (InputLoad), read when scraped rather than written on every change of a request. */
  watchInputBytes(held: () => number): void {
    new Gauge({
      name: 'mcp_input_bytes',
      help: 'Request bytes held by this task: bodies being received (declared length) and being served (parsed cost)',
      registers: [this.registry],
      collect() {
        this.set(held())
      },
    })
  }

  /** With tracing on: the finished spans the export queue had no room for (the collector slow or away). */
  countSpansDropped(dropped: () => number): void {
    new Counter({
      name: 'mcp_trace_spans_dropped_total',
      help: 'Finished spans dropped because the export queue was full (OTEL_BSP_MAX_QUEUE_SIZE)',
      registers: [this.registry],
      collect() {
        this.reset()
        this.inc(dropped())
      },
    })
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

const PRIVATE_V4 = [/^10\./, /^127\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^169\.254\./]

/** True for a scraper inside the VPC: a private source address and no load balancer in between. */
function isInternal(request: FastifyRequest): boolean {
  if (request.headers['x-forwarded-for']) return false
  const address = (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
  if (isIP(address) === 4) return PRIVATE_V4.some((range) => range.test(address))
  return address === '::1' || /^f[cd]/i.test(address)
}

function hasToken(request: FastifyRequest, token: string): boolean {
  const given = Buffer.from(request.headers.authorization ?? '')
  const expected = Buffer.from(`Bearer ${token}`)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** `/metrics`: with MCP_METRICS_TOKEN it needs that token; without one only internal scrapers get in. */
export default fp(async function metrics(app: FastifyInstance, { config }: { config: Config }) {
  app.decorate('metrics', new Metrics())
  const routes = async (scope: FastifyInstance) => {
    scope.get('/metrics', { config: { public: true } }, async (request, reply) => {
      const allowed = config.metricsToken ? hasToken(request, config.metricsToken) : isInternal(request)
      if (!allowed) throw notFound(request)
      return reply.type(app.metrics.registry.contentType).send(await app.metrics.registry.metrics())
    })
  }
  await app.register(routes, { prefix: config.basePath })
})
