import type { ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'

/** Hands the raw response to a transport, keeping the headers our plugins set (security headers). */
export function hijack(reply: FastifyReply): ServerResponse {
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value)
  }
  reply.hijack()
  return reply.raw
}
