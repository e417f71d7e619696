// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import { defineTool, toolJson } from '../define.js'

export default defineTool({
  name: 'whoami',
  title: 'Who am I',
  description: 'Returns the name of the API key (principal) and the MCP session this call belongs to. Never returns secrets.',
  inputSchema: {},
  annotations: { readOnlyHint: true, idempotentHint: true },
  async run(_args, { principal, sessionId }) {
    return toolJson({ principal: principal.name, sessionId })
  },
})
