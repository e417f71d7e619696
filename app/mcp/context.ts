import type { FastifyBaseLogger } from 'fastify'
import type { AuthInfo, McpServer, ServerContext } from '@modelcontextprotocol/server'
import type { Config } from '../config.js'
import type { Counter, Histogram } from 'prom-client'
import type { Principal } from '../keys.js'
import { clientLogFor, type ClientLog } from './client-log.js'
import type { ProfileStore } from './profiles.js'

/** The metrics the catalog writes; the app hands it those of its Prometheus registry. */
export interface ToolMetrics {
  toolCalls: Counter<'tool' | 'outcome'>
  toolCallSeconds: Histogram<'tool'>
}

/** Long-lived things the catalog uses, shared by every session of the task. */
export interface Services {
  config: Config
  metrics: ToolMetrics
  profiles: ProfileStore
  /**
   * The audit trail: written at info whatever LOG_LEVEL says (a child logger's own level), since an audit
   * trail that a log level can switch off is none. One logger for the task; each line names its principal
   * and session itself, so no logger is built per call or per session.
   */
  audit: FastifyBaseLogger
}

/** Who a session belongs to; built once per session, or per request on MCP 2026-07-28 (which has no sessions). */
export interface SessionContext {
  principal: Principal
  /** Absent on MCP 2026-07-28 requests. */
  sessionId: string | undefined
  /** The server's own log (pino); the client never sees it. */
  log: FastifyBaseLogger
  services: Services
}

/** A session and the MCP server that serves it. */
export interface SessionScope extends SessionContext {
  server: McpServer
}

/** What a tool, resource or prompt handler gets for one request. */
export interface RequestContext extends SessionScope {
  /** The SDK's handler context: `ctx.mcpReq` carries the request's signal, `_meta`, notify and send. */
  ctx: ServerContext
  /** Log to the client (MCP logging capability), filtered by the level the client set for this session. */
  clientLog: ClientLog
}

const SCOPE = 'mcpSession'

/**
 * The session as the SDK's `AuthInfo`, which the SDK hands to every request handler as `ctx.http.authInfo`:
 * its channel for "who is calling", the same on every transport and protocol era. The catalog's handlers
 * are shared by all sessions (app/mcp/server.ts), so this is how a handler learns whose request it serves.
 * The API key itself is never put here: `token` stays empty.
 */
export function sessionAuthInfo(scope: SessionScope): AuthInfo {
  return { token: '', clientId: scope.principal.name, scopes: [], extra: { [SCOPE]: scope } }
}

/** The RequestContext of one request to the named tool, resource or prompt. */
export function requestContext(ctx: ServerContext, handlerName: string): RequestContext {
  const scope = ctx.http?.authInfo?.extra?.[SCOPE] as SessionScope | undefined
  if (!scope) throw new Error(`${handlerName} was called without a session (the server was not connected through SessionServer)`)
  return { ...scope, ctx, clientLog: clientLogFor(ctx, handlerName, scope.log) }
}
