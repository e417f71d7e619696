import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { tools } from './catalog.js'
import type { SessionContext } from './context.js'
import { registerTool } from './define.js'

export const SERVER_INFO = { name: 'mcp-fargate-server', version: '0.1.0' }

/** One MCP server per session, never shared: it carries the session's principal and its own state. */
export function createMcpServer(session: SessionContext): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { logging: {} } })
  const allowed = session.principal.allowedTools
  for (const tool of tools) {
    if (!allowed || allowed.has(tool.name)) registerTool(server, session, tool)
  }
  return server
}
