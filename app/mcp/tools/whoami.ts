// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import { defineTool, toolJson } from '../define.js'

export default defineTool({
  name: 'whoami',
  title: 'Who am I',
  description: 'Returns the name of the API key (principal), the MCP session this call belongs to and the client as it named itself. Never returns secrets.',
  inputSchema: {},
  annotations: { readOnlyHint: true, idempotentHint: true },
  async run(_args, { principal, sessionId, server }) {
    const client = server.server.getClientVersion()
    return toolJson({ principal: principal.name, oauthClient: principal.clientId, sessionId, client: client ? { name: client.name, version: client.version } : null })
  },
})
