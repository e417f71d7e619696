import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { HijackedResponse } from './bounded-stream.js'

/**
 * Hands the raw response to a transport, with the headers our plugins set (security headers) for its
 * writeHead: copying them with setHeader would keep a header store alive as long as the stream.
 */
export function hijack(reply: FastifyReply): HijackedResponse {
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = value
  }
  reply.hijack()
  return { response: reply.raw, headers }
}
