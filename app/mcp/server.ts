import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { prompts, resources, tools } from './catalog.js'
import { ClientLogging } from './client-log.js'
import type { ContextFactory, SessionContext } from './context.js'
import { registerPrompt } from './define-prompt.js'
import { registerResource } from './define-resource.js'
import { registerTool } from './define.js'

export const SERVER_INFO = { name: 'mcp-fargate-server', version: '0.1.0' }

/** One MCP server per session, never shared: it carries the session's principal and its own state. */
export function createMcpServer(session: SessionContext): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { logging: {} } })
  const logging = new ClientLogging(server)
  const contextFor: ContextFactory = (extra, handlerName) => ({
    ...session,
    server,
    extra,
    clientLog: logging.forRequest(extra, handlerName, session.log),
  })
  // A key's allow-list (`name:secret:tools=a|b`) decides which tools its sessions can list and call.
  const allowed = session.principal.allowedTools
  for (const tool of tools) {
    if (!allowed || allowed.has(tool.name)) registerTool(server, tool, contextFor)
  }
  for (const resource of resources) registerResource(server, resource, contextFor)
  for (const prompt of prompts) registerPrompt(server, prompt)
  return server
}
