import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv'
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js'
import { prompts, resources, tools } from './catalog.js'
import { ClientLogging } from './client-log.js'
import type { ContextFactory, SessionContext } from './context.js'
import { registerPrompt } from './define-prompt.js'
import { registerResource } from './define-resource.js'
import { registerTool } from './define.js'

export const SERVER_INFO = { name: 'mcp-fargate-server', version: '0.1.0' }

/**
 * The SDK gives every server its own Ajv instance, used only to check elicitation answers; building it is
 * a third of what opening a session costs and tens of KiB per idle session. Build it when first needed.
 */
function validatorOnFirstUse(): jsonSchemaValidator {
  let validator: AjvJsonSchemaValidator | undefined
  return { getValidator: (schema) => (validator ??= new AjvJsonSchemaValidator()).getValidator(schema) }
}

/** One MCP server per session, never shared: it carries the session's principal and its own state. */
export function createMcpServer(session: SessionContext): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { logging: {} }, jsonSchemaValidator: validatorOnFirstUse() })
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
