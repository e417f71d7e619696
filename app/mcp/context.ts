import type { FastifyBaseLogger } from 'fastify'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js'
import type { Config } from '../config.js'
import type { Metrics } from '../http/metrics.js'
import type { ApiKey } from '../keys.js'

/** Long-lived things the catalog uses, shared by every session of the task. */
export interface Services {
  config: Config
  metrics: Metrics
}

/** Who a session belongs to; built once per session. */
export interface SessionContext {
  principal: ApiKey
  sessionId: string
  log: FastifyBaseLogger
  services: Services
}

/** What a tool, resource or prompt handler gets for one request. */
export interface RequestContext extends SessionContext {
  server: McpServer
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>
}
