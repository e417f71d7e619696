import { Writable } from 'node:stream'
import type { Config } from './config.js'
import { generateDevelopmentKey } from './keys.js'
import { sdkContractProblems } from './mcp/server.js'
import { buildServer } from './server.js'

const CLIENT = { name: 'start-up-self-test', version: '1.0.0' }
const MODERN = '2026-07-28'
const ACCEPT = 'application/json, text/event-stream'

/** The messages of `request failed` log lines: what a 500 was about. */
class FailureLog extends Writable {
  readonly failures: string[] = []
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue
      const record = JSON.parse(line) as { msg?: string; err?: { message?: string } }
      if (record.err?.message) this.failures.push(record.err.message)
    }
    done()
  }
}

interface Answer {
  status: number
  headers: Record<string, unknown>
  body: { result?: { structuredContent?: { principal?: string; client?: { name?: string } } } }
}

/**
 * Proves before the server listens that the SDK still works the way this server uses it. SessionServer,
 * ModernExchange and the sessions' own dispatch reach into SDK 2.4.0's private members (each named where it
 * is used); an SDK whose private members moved would start, report ready, and fail every call. So the
 * contract is checked as requests use it: a throwaway app, built as the real one is (no Redis, no relay),
 * serves a 2025 session (initialize, a whoami call) and two MCP 2026-07-28 whoami calls in process, and each
 * must name its principal and its client. Returns what failed, in one line, or undefined.
 */
export async function sdkSelfTest(config: Config): Promise<string | undefined> {
  const contract = sdkContractProblems()
  if (contract.length > 0) return contract.join('; ')
  const { key, secret } = generateDevelopmentKey()
  const log = new FailureLog()
  const app = await buildServer(
    // With sessions even for a stateless server: a 2025 session reaches every part of the SDK a stateless POST does.
    { ...config, keys: [key], basePath: '', redisUrl: undefined, emf: undefined, oauth: undefined, telemetry: undefined, peerPort: 0, logLevel: 'error', allowedOrigins: [], stateless: false },
    { logStream: log },
  )
  const post = async (body: object, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await app.inject({ method: 'POST', url: '/mcp', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', accept: ACCEPT, ...headers }, payload: body })
    return { status: response.statusCode, headers: response.headers, body: response.body ? JSON.parse(response.body) : {} }
  }
  const failed = (what: string, answer: Answer) =>
    `${what} answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}${log.failures.length > 0 ? `: ${log.failures.join('; ')}` : ''}`
  const servedWhoami = (answer: Answer, client = CLIENT) =>
    answer.status === 200 && answer.body.result?.structuredContent?.principal === key.name && answer.body.result.structuredContent.client?.name === client.name
  try {
    const initialize = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT } })
    const sessionId = initialize.headers['mcp-session-id']
    if (initialize.status !== 200 || typeof sessionId !== 'string') return failed('a 2025 initialize', initialize)
    const session = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)
    const call = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, session)
    if (!servedWhoami(call)) return failed('a 2025 session whoami call', call)
    // Twice, by two clients: the second is served by the first one's server (RequestServers), connected anew.
    for (const client of [CLIENT, { ...CLIENT, name: `${CLIENT.name}-again` }]) {
      const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': client }
      const modern = await post(
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: envelope } },
        { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'whoami' },
      )
      if (modern.status === 400 && JSON.stringify(modern.body).includes('-32022')) {
        // Server.connect binds a server to the request's revision only for the SDK's per-request transport type.
        return failed(`an MCP ${MODERN} whoami call (the SDK no longer binds ModernExchange, a PerRequestHTTPServerTransport, to the request's revision)`, modern)
      }
      if (!servedWhoami(modern, client)) return failed(`an MCP ${MODERN} whoami call by ${client.name}`, modern)
    }
    return undefined
  } finally {
    await app.close()
  }
}
