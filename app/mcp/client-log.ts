import type { FastifyBaseLogger } from 'fastify'
import type { LoggingLevel, ServerContext } from '@modelcontextprotocol/server'

/** Sends one log message to the client (MCP `notifications/message`), if the session's level lets it through. */
export type ClientLog = (level: LoggingLevel, data: unknown) => Promise<void>

/**
 * A ClientLog for one request; `logger` names the tool or resource that writes. `ctx.mcpReq.log` sends the
 * message related to the request, so over Streamable HTTP it travels on the stream that carries the answer
 * (not the optional standalone GET stream), and filters by the level the client set with `logging/setLevel`
 * for this session (everything until one is set); the SDK installs that handler because the server
 * declares the `logging` capability (SDK docs, migration/upgrade-to-v2.md "ctx.mcpReq.log() is
 * request-related on every era" and "Eager capability-handler install").
 */
export function clientLogFor(ctx: ServerContext, logger: string, serverLog: FastifyBaseLogger): ClientLog {
  return async (level, data) => {
    try {
      await ctx.mcpReq.log(level, data, logger)
    } catch (error) {
      // A client that went away cannot read its log; the tool's own work must not fail for that.
      serverLog.debug({ err: error, logger }, 'log message to client not delivered')
    }
  }
}
