import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv'
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js'
import { tools } from './catalog.js'
import type { SessionContext } from './context.js'
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
  const allowed = session.principal.allowedTools
  for (const tool of tools) {
    if (!allowed || allowed.has(tool.name)) registerTool(server, session, tool)
  }
  return server
}
