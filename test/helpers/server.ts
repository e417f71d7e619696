import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { loadConfig } from '../../app/config.js'
import { buildServer } from '../../app/server.js'

export const ALICE = 'alice-secret-0123456789'
export const BOB = 'bob-secret-0123456789abc'
export const KEYS = `alice:${ALICE},bob:${BOB}`

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Every log line the server wrote, as text, so tests can assert what was (and was not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = []
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean))
    done()
  }
  get text() {
    return this.lines.join('\n')
  }
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line))
  }
}

export interface TestServer {
  app: FastifyInstance
  /** Base URL including MCP_BASE_PATH, e.g. http://127.0.0.1:41234 */
  url: string
  logs: LogCapture
}

/** A real server on a random loopback port, closed when the test ends. */
export async function startServer(t: Teardown, env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({ NODE_ENV: 'test', MCP_API_KEYS: KEYS, LOG_LEVEL: 'info', MCP_PEER_PORT: '0', ...env })
  const logs = new LogCapture()
  const app = await buildServer(config, { logStream: logs })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('server has no port')
  return { app, url: `http://127.0.0.1:${address.port}${config.basePath}`, logs }
}

export type TransportName = 'sse' | 'streamable-http'
export const TRANSPORTS: TransportName[] = ['sse', 'streamable-http']

/** An official SDK client connected over the named transport, closed when the test ends. */
export interface ConnectOptions {
  capabilities?: Record<string, unknown>
  /** A fetch of the client's own, e.g. one that keeps cookies. */
  fetch?: typeof fetch
  /** Extra request headers, e.g. an Origin. */
  headers?: Record<string, string>
}

export async function connect(t: Teardown, url: string, key: string, transport: TransportName, options: ConnectOptions = {}) {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: options.capabilities ?? {} })
  const requestInit = { headers: { Authorization: `Bearer ${key}`, ...options.headers } }
  const clientTransport =
    transport === 'sse'
      ? new SSEClientTransport(new URL(`${url}/sse`), { requestInit, fetch: options.fetch })
      : new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit, fetch: options.fetch })
  await client.connect(clientTransport)
  t.teardown(() => client.close())
  return client
}

/** The JSON-RPC error code of an HTTP error answer (every error body is a JSON-RPC error envelope). */
export async function rpcErrorCode(response: Response): Promise<number> {
  return ((await response.json()) as { error: { code: number } }).error.code
}

/** The text of a tool result's first content item, parsed as JSON. */
export function resultJson(result: unknown): any {
  const content = (result as { content: { type: string; text: string }[] }).content
  return JSON.parse(content[0].text)
}
