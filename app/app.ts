import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from './config.js'
import auth from './http/auth.js'
import health from './http/health.js'
import inputBounds from './http/input-bounds.js'
import oauthResource from './http/oauth-resource.js'
import metrics from './http/metrics.js'
import security from './http/security.js'
import { loadCatalog, toolsWithParamHeaders } from './mcp/catalog.js'
import type { Services } from './mcp/context.js'
import { profileStore } from './mcp/profiles.js'
import { RequestServers, createMcpServer } from './mcp/server.js'
import redis from './redis.js'
import changeEvents from './sessions/change-events.js'
import emf from './sessions/emf.js'
import sessions from './sessions/plugin.js'
import type { ServerFactory } from './sessions/registry.js'
import sseRoutes, { sseSessionRoutes } from './transports/sse.js'
import { statelessSseRoutes } from './transports/stateless-http.js'
import streamableHttpRoutes from './transports/streamable-http.js'

export interface AppOptions {
  config: Config
  /** HMAC secret shared by every task: signs session ids and relayed requests. */
  secret: string
  /** This task's peer address, written into every session id it issues; undefined when relaying is off. */
  owner: string | undefined
}

/**
 * The whole MCP service as one Fastify plugin, mounted on a listener that already answers errors and logs
 * requests (`createListener`). Each concern is a plugin of its own; the concern plugins share the app's
 * scope (their decorators and hooks apply everywhere) and every route sits under MCP_BASE_PATH.
 */
export default fp(async function mcpApp(app: FastifyInstance, { config, secret, owner }: AppOptions) {
  await app.register(metrics, { config })
  await app.register(health, { basePath: config.basePath })
  await app.register(redis, { url: config.redisUrl, timeoutMs: config.redisTimeoutMs })
  await app.register(security, { config })
  // Before auth: its onRequest hook sheds work under memory pressure before a key is even looked up.
  await app.register(inputBounds, { config })
  await app.register(oauthResource, { settings: config.oauth, basePath: config.basePath })
  await app.register(auth, { config, keys: config.keys })
  await app.register(changeEvents)
  const services: Services = {
    config,
    metrics: app.metrics,
    profiles: profileStore(app.redis, config.maxProfilesPerKey),
    audit: app.log.child({}, { level: 'info' }),
    tracing: app.mcpTracing,
    changes: app.changeEvents,
  }
  const catalog = await loadCatalog(config)
  const createServer: ServerFactory = (principal, sessionId, log) => createMcpServer(catalog, { principal, sessionId, log, services })
  await app.register(sessions, { config, createServer, secret, owner })
  if (config.emf) await app.register(emf, { emf: config.emf })
  const modern = { servers: new RequestServers(catalog, services), heartbeatMs: config.heartbeatMs, audit: services.audit, toolsWithParamHeaders: toolsWithParamHeaders(catalog), changes: app.changeEvents }
  if (config.stateless) {
    // MCP_STATELESS=true: no session is ever opened; the same catalog, keys and limits serve every request.
    await app.register(statelessSseRoutes, { prefix: config.basePath, sessionUrl: config.sessionUrl })
    const stateless = { createServer, heartbeatMs: config.heartbeatMs, sessionUrl: config.sessionUrl }
    await app.register(streamableHttpRoutes, { prefix: config.basePath, modern, stateless })
    return
  }
  await app.register(sseRoutes, { prefix: config.basePath, basePath: config.basePath })
  await app.register(sseSessionRoutes, { prefix: config.basePath })
  await app.register(streamableHttpRoutes, { prefix: config.basePath, modern })
})
