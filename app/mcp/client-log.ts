import type { FastifyBaseLogger } from 'fastify'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import {
  LoggingLevelSchema,
  SetLevelRequestSchema,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js'

/** Sends one log message to the client (MCP `notifications/message`), if the session's level lets it through. */
export type ClientLog = (level: LoggingLevel, data: unknown) => Promise<void>

const SEVERITY: readonly LoggingLevel[] = LoggingLevelSchema.options

/**
 * The MCP logging capability of one session: remembers the level the client chose with `logging/setLevel`
 * and gives handlers a ClientLog. The SDK's `sendLoggingMessage` cannot say which request a message belongs
 * to, so over Streamable HTTP it would travel on the optional standalone GET stream (and be dropped when the
 * client has none open); sending through the request's own `extra.sendNotification` puts each message on the
 * stream that carries the answer, on every transport.
 */
export class ClientLogging {
  /** Until the client sets a level, every message is sent (as the SDK does). */
  private minimum: LoggingLevel | undefined

  constructor(server: McpServer) {
    server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
      this.minimum = request.params.level
      return {}
    })
  }

  /** A ClientLog for one request; `logger` names the tool or resource that writes. */
  forRequest(extra: RequestHandlerExtra<ServerRequest, ServerNotification>, logger: string, serverLog: FastifyBaseLogger): ClientLog {
    return async (level, data) => {
      if (this.minimum && SEVERITY.indexOf(level) < SEVERITY.indexOf(this.minimum)) return
      try {
        await extra.sendNotification({ method: 'notifications/message', params: { level, logger, data } })
      } catch (error) {
        // A client that went away cannot read its log; the tool's own work must not fail for that.
        serverLog.debug({ err: error, logger }, 'log message to client not delivered')
      }
    }
  }
}
