/**
 * One key pushing what it *sends*: long calls whose `_meta` carries many small JSON objects (cheap on the wire,
 * dear on the heap), and uploads that stop short of their last bytes. The benchmark's input figures and
 * test/http/input-bounds.test.ts run the same pushes. Every socket is handed to `keep`, so the caller closes it.
 */
import { connect as tcpConnect, type Socket } from 'node:net'
import { MODERN_META, neverReading, type Pusher } from './never-reading.js'

/**
 * How long a request may stay unanswered, once all it sends is sent, before the push counts it as held by
 * the server: well under the heartbeat (15 s) that would answer a held call, well over what a refusal takes.
 */
const ANSWERED_WITHIN_MS = 5_000

export type InputEra = 'sse' | 'streamable-http' | 'modern'

/** A long_task call (one step of `stepMs`) whose `_meta` carries `objects` empty objects beside `meta`. */
export function paddedCall(id: number, objects: number, meta: Record<string, unknown> = {}, stepMs = 60_000): string {
  const padding = `[${Array.from({ length: objects }, () => '{}').join(',')}]`
  const _meta = JSON.stringify({ ...meta, padding: 0 }).replace('"padding":0', `"padding":${padding}`)
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"long_task","arguments":{"steps":1,"stepMs":${stepMs}},"_meta":${_meta}}}`
}

const head = (method: string, path: string, headers: Record<string, string>, length: number) =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}content-length: ${length}\r\n\r\n`

/**
 * The status of a raw request's answer, or 0 when none came within ANSWERED_WITHIN_MS of the request being
 * sent (the server holds it). A server that closes the connection without answering counts as -1.
 */
export function statusOrHeld(port: number, request: string, body: string, keep: (socket: Socket) => void): Promise<number> {
  const socket = tcpConnect(port, '127.0.0.1')
  keep(socket)
  socket.on('error', () => {})
  return new Promise((resolve) => {
    let received = ''
    let timer: NodeJS.Timeout | undefined
    const settle = (status: number) => {
      clearTimeout(timer)
      resolve(status)
    }
    socket.write(request + body, () => (timer = setTimeout(() => settle(0), ANSWERED_WITHIN_MS)))
    socket.on('close', () => settle(-1))
    socket.on('data', (chunk) => {
      received += chunk
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)
      if (status) settle(Number(status[1]))
    })
  })
}

export interface InputPush {
  /** Requests the server took and holds (no answer yet). */
  held: number
  /** Answers by status: 429 and 503 (budgets), 413 (shape), anything else is a failure of the push. */
  statuses: Record<number, number>
}

const tally = (push: InputPush, status: number) => {
  if (status === 0 || status === 202) push.held++
  else push.statuses[status] = (push.statuses[status] ?? 0) + 1
}

/** Opens one session of the era for the push; returns how to post a call body on it (path and headers). */
async function openSession(pusher: Pusher, era: InputEra): Promise<{ path: string; headers: Record<string, string> }> {
  const auth = { authorization: `Bearer ${pusher.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
  if (era === 'modern') {
    return { path: '/mcp', headers: { ...auth, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'long_task' } }
  }
  if (era === 'sse') {
    const { received } = await neverReading(pusher.port, `GET /sse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${pusher.key}\r\nAccept: text/event-stream\r\n\r\n`, '', /sessionId=\S+\n/, pusher.keep)
    const endpoint = /data: (\S+\?sessionId=\S+)\n/.exec(received)?.[1]
    if (!endpoint) throw new Error(`no endpoint event: ${received.slice(0, 200)}`)
    return { path: endpoint, headers: auth }
  }
  const initialize = await fetch(`${pusher.url}/mcp`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'heavy-input', version: '1.0.0' } } }),
    signal: AbortSignal.timeout(10_000),
  })
  await initialize.text()
  const sessionId = initialize.headers.get('mcp-session-id')
  if (!sessionId) throw new Error(`initialize answered ${initialize.status}`)
  return { path: '/mcp', headers: { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } }
}

/**
 * Long calls carrying `objects` empty objects each, `perSession` on each of `sessions` sessions of the era
 * (for 2026-07-28, `sessions × perSession` requests), all at once; each is counted held or by its answer.
 */
export async function pushPaddedCalls(pusher: Pusher, era: InputEra, sessions: number, perSession: number, objects: number): Promise<InputPush> {
  const push: InputPush = { held: 0, statuses: {} }
  const opened = await Promise.all(Array.from({ length: sessions }, () => openSession(pusher, era)))
  let id = 0
  await Promise.all(
    opened.flatMap(({ path, headers }) =>
      Array.from({ length: perSession }, async () => {
        const body = paddedCall(++id, objects, era === 'modern' ? MODERN_META : {})
        tally(push, await statusOrHeld(pusher.port, head('POST', path, headers, Buffer.byteLength(body)), body, pusher.keep))
      }),
    ),
  )
  return push
}

/** `count` uploads of `bytes` declared, each sending all but its last 10 bytes; each is counted held or by its answer. */
export async function pushSlowUploads(pusher: Pusher, count: number, bytes: number): Promise<InputPush> {
  const push: InputPush = { held: 0, statuses: {} }
  const headers = { authorization: `Bearer ${pusher.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
  const body = `"${'x'.repeat(bytes - 11)}`
  await Promise.all(Array.from({ length: count }, async () => tally(push, await statusOrHeld(pusher.port, head('POST', '/mcp', headers, bytes), body, pusher.keep))))
  return push
}
