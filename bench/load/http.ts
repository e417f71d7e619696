import { request, type Agent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'

/** Longest any single HTTP exchange of the load generator may take before it counts as failed. */
export const EXCHANGE_TIMEOUT_MS = 15_000

export interface Exchange {
  method: 'GET' | 'POST' | 'DELETE'
  url: string
  headers: OutgoingHttpHeaders
  body?: unknown
  /** false: a connection of its own (a stream that stays open). */
  agent: Agent | false
}

/** Sends one request and resolves with the response head; the body is the caller's to read. */
export function send({ method, url, headers, body, agent }: Exchange): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const outgoing = request(url, {
      method,
      agent,
      headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      timeout: EXCHANGE_TIMEOUT_MS,
    })
    outgoing.once('response', resolve)
    outgoing.once('error', reject)
    outgoing.once('timeout', () => outgoing.destroy(new Error(`${method} ${new URL(url).pathname}: no answer in ${EXCHANGE_TIMEOUT_MS} ms`)))
    outgoing.end(payload)
  })
}

export async function readText(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8')
  let text = ''
  for await (const chunk of response) text += chunk
  return text
}

export async function expectStatus(response: IncomingMessage, status: number, what: string): Promise<void> {
  if (response.statusCode === status) return
  const body = await readText(response).catch(() => '')
  throw new Error(`${what}: HTTP ${response.statusCode} (expected ${status}) ${body.slice(0, 200)}`)
}
