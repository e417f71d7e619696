/** What the load generator sends and checks; every answer is checked, never just counted. */
export interface RpcMessage {
  jsonrpc: '2.0'
  id?: number | string
  method?: string
  result?: any
  error?: { code: number; message: string }
}

export const PROTOCOL_VERSION = { sse: '2024-11-05', 'streamable-http': '2025-11-25' } as const
export const BENCH_TOOL = 'whoami'

export function initializeRequest(id: number, protocolVersion: string): RpcMessage & { id: number; params: unknown } {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'mcp-bench', version: '1.0.0' } },
  }
}

export const initializedNotification = { jsonrpc: '2.0', method: 'notifications/initialized' } as const

export function toolCall(id: number) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name: BENCH_TOOL, arguments: {} } } as const
}

/** The per-request envelope of MCP 2026-07-28 (no session): protocol version, client capabilities and info. */
export const MODERN_ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'mcp-bench', version: '1.0.0' },
}

/** A tool call on MCP 2026-07-28: the same call, self-describing. */
export function modernToolCall(id: number) {
  const call = toolCall(id)
  return { ...call, params: { ...call.params, _meta: MODERN_ENVELOPE } }
}

/** Throws unless the message is the successful answer to request `id`. */
export function resultOf(message: RpcMessage | undefined, id: number): any {
  if (!message) throw new Error(`no answer to request ${id}`)
  if (message.id !== id) throw new Error(`answer for id ${String(message.id)}, expected ${id}`)
  if (message.error) throw new Error(`request ${id} failed: ${message.error.code} ${message.error.message}`)
  return message.result
}

export function checkInitialize(result: any): string {
  if (typeof result?.protocolVersion !== 'string' || typeof result?.serverInfo?.name !== 'string') {
    throw new Error('initialize answer lacks protocolVersion or serverInfo')
  }
  return result.protocolVersion
}

/** The whoami answer must name this session and the benchmark's key, nothing else. */
export function checkWhoami(result: any, sessionId: string, principal: string): void {
  const text = result?.content?.[0]?.text
  const identity = typeof text === 'string' ? JSON.parse(text) : undefined
  // On MCP 2026-07-28 there is no session: the answer names none.
  if (result?.isError || identity?.principal !== principal || identity?.sessionId !== (sessionId || undefined)) {
    throw new Error(`wrong whoami answer: ${JSON.stringify(result).slice(0, 200)}`)
  }
}
