import type tap from 'tap'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { eventually } from './processes.js'
import { ALICE, BOB, connect, resultJson, type TestServer } from './server.js'

/** A tap test, as the callback of `t.test` receives it. */
export type Tap = Parameters<Parameters<typeof tap.test>[0]>[0]

/** Bounds every raw request a test makes, so a hung server fails the test instead of stalling it. */
const REQUEST_TIMEOUT_MS = 10_000

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
}
export const PING = { jsonrpc: '2.0', id: 2, method: 'ping' }

/** fetch against the test server with a time bound. */
export function request(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init })
}

/** POSTs a JSON value with the headers MCP clients send. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return request(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

/** Asserts the JSON-RPC error envelope every error answer uses (README "HTTP surface and errors"). */
export async function expectError(t: Tap, response: Response, status: number, code = -32000) {
  t.equal(response.status, status, `status ${status}`)
  t.match(response.headers.get('content-type'), /^application\/json/, 'JSON answer')
  const body = await response.json()
  t.match(body, { jsonrpc: '2.0', id: null, error: { code, message: String } }, `JSON-RPC error ${code}`)
  return body as { error: { code: number; message: string } }
}

/**
 * A good client still works: a fresh SDK session answers whoami as the key's principal and is then ended,
 * so the session count is back where it was.
 */
export async function stillServes(t: Tap, server: TestServer, key = ALICE) {
  const before = server.app.sessions.size
  const client = await connect(t, server.url, key, 'streamable-http')
  const identity = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
  t.equal(identity.principal, key === BOB ? 'bob' : 'alice', 'a good client is still served')
  await (client.transport as StreamableHTTPClientTransport).terminateSession()
  await client.close()
  t.ok(await eventually(() => server.app.sessions.size === before), 'the check session ended')
}

/** Nothing leaked: the expected number of sessions is open and no log line holds a secret. */
export async function nothingLeaked(t: Tap, server: TestServer, sessions = 0) {
  await eventually(() => server.app.sessions.size === sessions)
  t.equal(server.app.sessions.size, sessions, `${sessions} session(s) open`)
  t.notOk(server.logs.text.includes(ALICE) || server.logs.text.includes(BOB), 'no key in the logs')
}

/**
 * A raw event stream read as text, for what the SDK client hides: the `endpoint` event, `: ping` comments.
 * Closed when the test ends.
 */
export class EventStream {
  text = ''
  ended = false
  private readonly controller = new AbortController()
  private wake: () => void = () => {}

  private constructor(readonly response: Response) {}

  static async open(t: Tap, url: string, headers: Record<string, string>, init: RequestInit = {}): Promise<EventStream> {
    const controller = new AbortController()
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal, ...init })
    const stream = new EventStream(response)
    stream.controller.signal.addEventListener('abort', () => controller.abort())
    t.teardown(() => stream.close())
    void stream.pump()
    return stream
  }

  private async pump() {
    const decoder = new TextDecoder()
    try {
      for await (const chunk of this.response.body ?? []) {
        this.text += decoder.decode(chunk as Uint8Array, { stream: true })
        this.wake()
      }
    } catch {
      // aborted by close(), or the server dropped the stream: both end it
    }
    this.ended = true
    this.wake()
  }

  /** The first match of the pattern in what arrived so far, waiting (bounded) for it to arrive. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = pattern.exec(this.text)
      if (match) return match
      if (this.ended) throw new Error(`stream ended before ${pattern}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  /** Waits (bounded) for the stream to end; true when it did. */
  waitForEnd(timeoutMs = 10_000): Promise<boolean> {
    return eventually(() => this.ended, timeoutMs)
  }

  close() {
    this.controller.abort()
  }
}

/** Opens a legacy SSE stream and returns it with its session's messages endpoint path. */
export async function openSse(t: Tap, server: Pick<TestServer, 'url'>, key = ALICE) {
  const stream = await EventStream.open(t, `${server.url}/sse`, bearer(key))
  const [, endpoint, sessionId] = await stream.waitFor(/event: endpoint\ndata: (\S+\?sessionId=(\S+))\n\n/)
  return { stream, endpoint, sessionId }
}

/**
 * Opens a Streamable HTTP session without the SDK (so no standalone GET stream keeps it busy): initialize,
 * then the initialized notification. Returns the session id and the headers later requests need.
 */
export async function initializeRaw(server: Pick<TestServer, 'url'>, key = ALICE) {
  const response = await postJson(`${server.url}/mcp`, INITIALIZE, bearer(key))
  if (response.status !== 200) throw new Error(`initialize answered ${response.status}: ${await response.text()}`)
  await response.text()
  const sessionId = response.headers.get('mcp-session-id')
  if (!sessionId) throw new Error('initialize answered without Mcp-Session-Id')
  const headers = { ...bearer(key), 'mcp-session-id': sessionId, 'mcp-protocol-version': INITIALIZE.params.protocolVersion }
  const initialized = await postJson(`${server.url}/mcp`, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)
  if (initialized.status !== 202) throw new Error(`notifications/initialized answered ${initialized.status}`)
  return { sessionId, headers }
}

/** While `work` runs, `<url>/health` is asked every 100 ms: what the work returned, and every status /health answered. */
export async function healthDuring<T>(url: string, work: () => Promise<T>): Promise<{ result: T; health: number[] }> {
  const health: number[] = []
  let done = false
  const poller = (async () => {
    while (!done) {
      health.push((await request(`${url}/health`)).status)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  try {
    return { result: await work(), health }
  } finally {
    done = true
    await poller
  }
}
