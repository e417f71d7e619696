import type { FastifyBaseLogger } from 'fastify'
import type { McpServer, ServerContext } from '@modelcontextprotocol/server'
import type { Config } from '../config.js'
import type { Metrics } from '../http/metrics.js'
import type { ApiKey } from '../keys.js'
import type { ClientLog } from './client-log.js'
import type { ProfileStore } from './profiles.js'

/** Long-lived things the catalog uses, shared by every session of the task. */
export interface Services {
  config: Config
  metrics: Metrics
  profiles: ProfileStore
  /**
   * The audit trail: written at info whatever LOG_LEVEL says (a child logger's own level), since an audit
   * trail that a log level can switch off is none. One logger for the task; each line names its principal
   * and session itself, so no logger is built per call or per session.
   */
  audit: FastifyBaseLogger
}

/** Who a session belongs to; built once per session. */
export interface SessionContext {
  principal: ApiKey
  sessionId: string
  /** The server's own log (pino); the client never sees it. */
  log: FastifyBaseLogger
  services: Services
}

/** What a tool, resource or prompt handler gets for one request. */
export interface RequestContext extends SessionContext {
  server: McpServer
  /** The SDK's handler context: `ctx.mcpReq` carries the request's signal, `_meta`, notify and send. */
  ctx: ServerContext
  /** Log to the client (MCP logging capability), filtered by the level the client set for this session. */
  clientLog: ClientLog
}

/** Builds the RequestContext for one request to the named tool, resource or prompt. */
export type ContextFactory = (ctx: ServerContext, handlerName: string) => RequestContext
