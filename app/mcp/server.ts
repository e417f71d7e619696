import { McpServer } from '@modelcontextprotocol/server'
import { prompts, resources, tools } from './catalog.js'
import { clientLogFor } from './client-log.js'
import type { ContextFactory, SessionContext } from './context.js'
import { registerPrompt } from './define-prompt.js'
import { registerResource } from './define-resource.js'
import { registerTool } from './define.js'

export const SERVER_INFO = { name: 'mcp-fargate-server', version: '0.1.0' }

/**
 * One MCP server per session, never shared: it carries the session's principal and its own state. The SDK's
 * default JSON Schema validator (Ajv, used only to check elicitation answers) builds its engines on first
 * use, so an idle session does not pay for one (server dist ajvProvider: "lazily, on the first getValidator
 * call needing each").
 */
export function createMcpServer(session: SessionContext): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { logging: {} } })
  const contextFor: ContextFactory = (ctx, handlerName) => ({
    ...session,
    server,
    ctx,
    clientLog: clientLogFor(ctx, handlerName, session.log),
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
