/**
 * A client that never reads its answers, pushing 1 MiB `read_file` answers as fast as it can: the benchmark's
 * never-reading figures and test/transports/slow-consumer.test.ts run the same pushes. Every socket the push
 * opens is handed to `keep`, so the caller closes it; every request is bounded in time.
 */
import { Agent } from 'node:http'
import { connect as tcpConnect, type Socket } from 'node:net'
import { rssKiB } from '../proc.js'
import { EXCHANGE_TIMEOUT_MS, readText, send } from './http.js'
import { initializeRequest } from './json-rpc.js'

/** The file a push reads: exactly the largest size read_file returns (MCP_FILES_MAX_BYTES, 1 MiB). */
export const BIG_FILE = 'big.txt'

export const readFileCall = (id: number, path = BIG_FILE) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'read_file', arguments: { path } } })

export interface Unread {
  socket: Socket
  /** What arrived before the client stopped reading ('' when the server closed first). */
  received: string
}

/** A raw HTTP request on its own socket that, once `until` matched what arrived, reads nothing more. */
export function neverReading(port: number, head: string, body: string, until: RegExp, keep: (socket: Socket) => void): Promise<Unread> {
  const socket = tcpConnect(port, '127.0.0.1')
  keep(socket)
  socket.write(head + body)
  return new Promise((resolve, reject) => {
    let received = ''
    const timer = setTimeout(() => reject(new Error(`no ${until} within ${EXCHANGE_TIMEOUT_MS} ms: ${received.slice(0, 200)}`)), EXCHANGE_TIMEOUT_MS)
    socket.on('error', () => {})
    // The server may end the answer before what we wait for (cut off for not reading).
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ socket, received })
    })
    socket.on('data', (chunk) => {
      received += chunk
      if (!until.test(received)) return
      clearTimeout(timer)
      socket.pause()
      resolve({ socket, received })
    })
  })
}

/** POSTs one JSON value and reads its whole answer; resolves to the answer's status and headers. */
async function post(url: string, body: unknown, headers: Record<string, string>, agent: Agent | false) {
  const response = await send({ method: 'POST', url, headers: { accept: 'application/json, text/event-stream', ...headers }, body, agent })
  await readText(response)
  return response
}

/** RSS of `pid` sampled every 50 ms while `work` runs; the highest value in KiB. */
export async function peakRss(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rssKiB(pid)
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 50)
  try {
    await work()
  } finally {
    clearInterval(sampler)
  }
  return Math.max(peak, rssKiB(pid))
}

/** A server's RSS before `work` and at its peak while it ran, and the growth, in MiB (the benchmark's memory figures). */
export async function rssGrowth(pid: number, work: () => Promise<void>): Promise<{ rssBeforeMiB: number; peakMiB: number; growthMiB: number }> {
  const before = rssKiB(pid)
  const peak = await peakRss(pid, work)
  return { rssBeforeMiB: before / 1024, peakMiB: peak / 1024, growthMiB: (peak - before) / 1024 }
}

export interface Pusher {
  url: string
  port: number
  key: string
  deadline: number
  keep: (socket: Socket) => void
}

export interface LegacySsePush {
  streamsEnded: number
  answersQueued: number
}

/**
 * Legacy SSE: opens a stream it never reads and posts read_file calls to its session, `inFlight` at a time
 * (each is answered 202 at once, the answer goes to the unread stream), until the server ends the stream and
 * the session's POSTs get 404; then again on a new stream, until the deadline.
 */
export async function pushLegacySse({ url, port, key, deadline, keep }: Pusher, inFlight: number): Promise<LegacySsePush> {
  const push = { streamsEnded: 0, answersQueued: 0 }
  const agent = new Agent({ keepAlive: true })
  try {
    while (Date.now() < deadline) {
      const stream = `GET /sse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nAccept: text/event-stream\r\n\r\n`
      const { received } = await neverReading(port, stream, '', /sessionId=\S+\n/, keep)
      const sessionId = /sessionId=(\S+)\n/.exec(received)?.[1]
      if (!sessionId) throw new Error(`no endpoint event: ${received.slice(0, 200)}`)
      let ended = false
      let id = 0
      const lane = async () => {
        while (!ended && Date.now() < deadline) {
          const { statusCode } = await post(`${url}/messages?sessionId=${sessionId}`, readFileCall(++id), { authorization: `Bearer ${key}` }, agent)
          if (statusCode === 202) push.answersQueued++
          else if (statusCode === 404) ended = true
          else if (statusCode !== 429) throw new Error(`unexpected ${statusCode}`)
        }
      }
      await Promise.all(Array.from({ length: inFlight }, lane))
      if (ended) push.streamsEnded++
    }
  } finally {
    agent.destroy()
  }
  return push
}

export interface StreamableHttpPush {
  json: number
  events: number
  refused: number
  cut: number
}

/**
 * A Streamable HTTP session for the push: initialized, its client log quieted (read_file logs to the client at
 * info, which would turn every answer into an event stream), and its GET stream opened and never read.
 * Returns the headers its POSTs carry.
 */
export async function openUnreadStreamableHttpSession({ url, port, key, keep }: Pusher): Promise<Record<string, string>> {
  const initialized = await post(`${url}/mcp`, initializeRequest(1, '2025-03-26'), { authorization: `Bearer ${key}` }, false)
  const sessionId = initialized.headers['mcp-session-id']
  if (initialized.statusCode !== 200 || typeof sessionId !== 'string') throw new Error(`initialize answered ${initialized.statusCode}`)
  const headers = {
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-session-id': sessionId,
    'mcp-protocol-version': '2025-03-26',
  }
  const quiet = await post(`${url}/mcp`, { jsonrpc: '2.0', id: 0, method: 'logging/setLevel', params: { level: 'error' } }, headers, false)
  if (quiet.statusCode !== 200) throw new Error(`logging/setLevel answered ${quiet.statusCode}`)
  await neverReading(port, rawHead('GET', headers), '', /\r\n\r\n/, keep)
  return headers
}

const rawHead = (method: string, headers: Record<string, string>, body = '') =>
  `${method} /mcp HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}content-length: ${Buffer.byteLength(body)}\r\n\r\n`

/**
 * Streamable HTTP: `lanes` clients post batches of `batchSize - 1` read_file calls on sockets never read,
 * every other batch with a long_task reporting progress (so answered as an event stream, the others as JSON),
 * until the deadline; a refused batch (429, over the bound on requests in flight) waits 20 ms.
 */
export async function pushStreamableHttp(pusher: Pusher, headers: Record<string, string>, lanes: number, batchSize: number): Promise<StreamableHttpPush> {
  const answers = { json: 0, events: 0, refused: 0, cut: 0 }
  let id = 0
  const lane = async (index: number) => {
    for (let round = 0; Date.now() < pusher.deadline; round++) {
      const batch: object[] = Array.from({ length: batchSize - 1 }, () => readFileCall(++id))
      if ((round + index) % 2 === 0) batch.push({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'long_task', arguments: { steps: 40, stepMs: 1 }, _meta: { progressToken: id } } })
      const body = JSON.stringify(batch)
      const { received } = await neverReading(pusher.port, rawHead('POST', headers, body), body, /^HTTP\/1\.1 \d{3}[\s\S]*\r\n\r\n/, pusher.keep)
      if (/^HTTP\/1\.1 429/.test(received)) {
        answers.refused++
        await new Promise((resolve) => setTimeout(resolve, 20))
      } else if (/content-type: application\/json/i.test(received)) answers.json++
      else if (/content-type: text\/event-stream/i.test(received)) answers.events++
      else if (received === '') answers.cut++
      else throw new Error(`unexpected answer ${received.slice(0, 60)}`)
    }
  }
  await Promise.all(Array.from({ length: lanes }, (_, index) => lane(index)))
  return answers
}

/** The 2026-07-28 envelope a modern request carries, for a client declaring no capabilities. */
export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'never-reading', version: '1.0.0' },
}

export interface ModernPush {
  answered: number
  refused: number
  cut: number
}

/**
 * MCP 2026-07-28: `lanes` clients post read_file calls with the per-request envelope (no session), each on a
 * socket never read, until the deadline; a refused request (429 over the key's requests in flight) waits 20 ms.
 */
export async function pushModern(pusher: Pusher, lanes: number): Promise<ModernPush> {
  const answers = { answered: 0, refused: 0, cut: 0 }
  const headers = {
    authorization: `Bearer ${pusher.key}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': 'read_file',
    // read_file mirrors its path in this header (x-mcp-header); a call without it is refused.
    'mcp-param-file-path': BIG_FILE,
  }
  let id = 0
  const lane = async () => {
    while (Date.now() < pusher.deadline) {
      const call = readFileCall(++id)
      const body = JSON.stringify({ ...call, params: { ...call.params, _meta: MODERN_META } })
      const { received } = await neverReading(pusher.port, rawHead('POST', headers, body), body, /^HTTP\/1\.1 \d{3}[\s\S]*\r\n\r\n/, pusher.keep)
      if (/^HTTP\/1\.1 429/.test(received)) {
        answers.refused++
        await new Promise((resolve) => setTimeout(resolve, 20))
      } else if (/^HTTP\/1\.1 200/.test(received)) answers.answered++
      else if (received === '') answers.cut++
      else throw new Error(`unexpected answer ${received.slice(0, 60)}`)
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  return answers
}
