import type { ToolDefinition } from './define.js'
import whoami from './tools/whoami.js'

/** Every tool this server offers. Adding a tool: write app/mcp/tools/<name>.ts and add one line here. */
export const tools: ToolDefinition[] = [whoami] as ToolDefinition[]
