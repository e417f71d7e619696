import { Agent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { performance } from 'node:perf_hooks'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { EXCHANGE_TIMEOUT_MS, expectStatus, readText, send } from './http.js'
import { PROTOCOL_VERSION, checkInitialize, checkWhoami, initializeRequest, initializedNotification, modernToolCall, resultOf, toolCall, type RpcMessage } from './json-rpc.js'

/** The session transports, and MCP 2026-07-28 on /mcp (`modern`: no session, every request self-describing). */
export type TransportName = 'sse' | 'streamable-http' | 'modern'
export const TRANSPORTS: TransportName[] = ['sse', 'streamable-http']
/** What the calls tests measure: the session transports and the modern revision. */
export const CALL_TRANSPORTS: TransportName[] = [...TRANSPORTS, 'modern']

export interface Target {
  /** Base URL of the server, e.g. http://127.0.0.1:41234 */
  url: string
  /** What the client sends as `Authorization: Bearer`: an API key, or an OAuth access token. */
  secret: string
  /** Who whoami must name: the key's name, or `oauth:<subject>` for a token. */
  principal: string
}

/** Feeds a response body to a server-sent-events parser. */
function readEvents(response: IncomingMessage, onEvent: (event: EventSourceMessage) => void): void {
  const parser = createParser({ onEvent })
  response.setEncoding('utf8')
  response.on('data', (chunk: string) => parser.feed(chunk))
}

/**
 * One MCP session as a client keeps it: a long-lived stream on a connection of its own, and its POSTs
 * over one keep-alive connection (like a real client, never shared with another session).
 */
export abstract class BenchSession {
  id = ''
  protected nextId = 0
  protected agent = new Agent({ keepAlive: true, maxSockets: 1 })
  protected stream?: IncomingMessage
  /** Where POSTs go; another task's URL when measuring the relay. */
  postUrl: string

  constructor(protected readonly target: Target) {
    this.postUrl = target.url
  }

  protected headers(extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
    return { authorization: `Bearer ${this.target.secret}`, ...extra }
  }

  abstract open(): Promise<void>
  protected abstract request(message: RpcMessage & { id: number }): Promise<RpcMessage | undefined>

  /** One whoami call, checked; resolves with its latency in milliseconds. */
  async call(): Promise<number> {
    const id = ++this.nextId
    const started = performance.now()
    checkWhoami(resultOf(await this.request(this.whoami(id)), id), this.id, this.target.principal)
    return performance.now() - started
  }

  protected whoami(id: number): RpcMessage & { id: number } {
    return toolCall(id)
  }

  /** Drops the idle keep-alive POST connection, as clients and proxies do; the stream stays. */
  dropIdleConnection(): void {
    this.agent.destroy()
    this.agent = new Agent({ keepAlive: true, maxSockets: 1 })
  }

  close(): void {
    this.stream?.destroy()
    this.agent.destroy()
  }
}

/** Legacy HTTP+SSE: `GET /sse` for the stream and its `endpoint`, POSTs answered 202, answers on the stream. */
export class LegacySseSession extends BenchSession {
  private endpoint = ''
  private readonly pending = new Map<number, { resolve(message: RpcMessage): void; reject(error: Error): void }>()

  async open(): Promise<void> {
    const response = await send({ method: 'GET', url: `${this.target.url}/sse`, headers: this.headers({ accept: 'text/event-stream' }), agent: false })
    this.stream = response
    await expectStatus(response, 200, 'GET /sse')
    const endpoint = new Promise<string>((resolve, reject) => {
      readEvents(response, (event) => {
        if (event.event === 'endpoint') return resolve(event.data)
        const message = JSON.parse(event.data) as RpcMessage
        if (typeof message.id === 'number') this.pending.get(message.id)?.resolve(message)
      })
      response.once('close', () => {
        const closed = new Error('SSE stream closed')
        reject(closed)
        for (const waiting of this.pending.values()) waiting.reject(closed)
      })
      setTimeout(() => reject(new Error('no endpoint event')), EXCHANGE_TIMEOUT_MS).unref()
    })
    this.endpoint = await endpoint
    this.id = new URL(this.endpoint, this.target.url).searchParams.get('sessionId') ?? ''
    checkInitialize(resultOf(await this.request(initializeRequest(++this.nextId, PROTOCOL_VERSION.sse)), this.nextId))
    await this.post(initializedNotification)
  }

  private async post(message: RpcMessage): Promise<void> {
    const response = await send({ method: 'POST', url: new URL(this.endpoint, this.postUrl).href, headers: this.headers(), body: message, agent: this.agent })
    await expectStatus(response, 202, 'POST /messages')
    response.resume()
  }

  protected async request(message: RpcMessage & { id: number }): Promise<RpcMessage | undefined> {
    let timer: NodeJS.Timeout | undefined
    const answer = new Promise<RpcMessage>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to ${message.method} on the stream`)), EXCHANGE_TIMEOUT_MS)
      this.pending.set(message.id, { resolve, reject })
    })
    // When the POST itself fails, that error is the one reported; the answer is then never awaited.
    answer.catch(() => {})
    try {
      await this.post(message)
      return await answer
    } finally {
      clearTimeout(timer)
      this.pending.delete(message.id)
    }
  }
}

/** Streamable HTTP: POST initialize for `Mcp-Session-Id`, a GET stream held open, answers in each POST's body. */
export class StreamableHttpSession extends BenchSession {
  private protocolVersion: string = PROTOCOL_VERSION['streamable-http']

  protected override headers(extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
    const session = this.id ? { 'mcp-session-id': this.id, 'mcp-protocol-version': this.protocolVersion } : {}
    return super.headers({ accept: 'application/json, text/event-stream', ...session, ...extra })
  }

  async open(): Promise<void> {
    const initialize = initializeRequest(++this.nextId, this.protocolVersion)
    const response = await send({ method: 'POST', url: `${this.target.url}/mcp`, headers: this.headers(), body: initialize, agent: this.agent })
    await expectStatus(response, 200, 'POST /mcp initialize')
    this.id = String(response.headers['mcp-session-id'] ?? '')
    if (!this.id) throw new Error('initialize answer has no Mcp-Session-Id')
    this.protocolVersion = checkInitialize(resultOf(await this.answer(response, initialize.id), initialize.id))
    const notified = await send({ method: 'POST', url: `${this.target.url}/mcp`, headers: this.headers(), body: initializedNotification, agent: this.agent })
    await expectStatus(notified, 202, 'POST /mcp notifications/initialized')
    notified.resume()
    // The SDK client opens this stream for server-initiated messages; an idle session holds it.
    this.stream = await send({ method: 'GET', url: `${this.target.url}/mcp`, headers: this.headers({ accept: 'text/event-stream' }), agent: false })
    await expectStatus(this.stream, 200, 'GET /mcp')
    this.stream.resume()
  }

  protected async request(message: RpcMessage & { id: number }): Promise<RpcMessage | undefined> {
    const response = await send({ method: 'POST', url: `${this.postUrl}/mcp`, headers: this.headers(), body: message, agent: this.agent })
    await expectStatus(response, 200, `POST /mcp ${message.method}`)
    return this.answer(response, message.id)
  }

  /** The answer to `id` in a POST's body, sent either as JSON or as an SSE stream that ends after it. */
  protected async answer(response: IncomingMessage, id: number): Promise<RpcMessage | undefined> {
    const text = await readText(response)
    const messages: RpcMessage[] = []
    if (String(response.headers['content-type']).startsWith('text/event-stream')) {
      const parser = createParser({ onEvent: (event) => void messages.push(JSON.parse(event.data)) })
      parser.feed(text)
    } else {
      messages.push(...[JSON.parse(text)].flat())
    }
    return messages.find((message) => message.id === id)
  }
}

/**
 * MCP 2026-07-28: nothing to open and no stream to hold; every call is a POST carrying the envelope and the
 * headers the revision requires (MCP-Protocol-Version, Mcp-Method, Mcp-Name), answered in its own body.
 */
export class ModernClient extends StreamableHttpSession {
  override async open(): Promise<void> {}

  protected override headers(extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
    return super.headers({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'whoami', ...extra })
  }

  protected override whoami(id: number): RpcMessage & { id: number } {
    return modernToolCall(id)
  }
}

export function createSession(transport: TransportName, target: Target): BenchSession {
  if (transport === 'sse') return new LegacySseSession(target)
  return transport === 'modern' ? new ModernClient(target) : new StreamableHttpSession(target)
}
