import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { HttpError, RpcCode, invalidRequest } from '../http/errors.js'

const BatchSchema = z.array(JSONRPCMessageSchema).min(1)

/** An onRequest hook: rejects POSTs whose body is not JSON before Fastify reads a byte of it. */
export async function requireJson(request: FastifyRequest): Promise<void> {
  const contentType = request.headers['content-type']
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new HttpError(415, 'Unsupported Media Type: Content-Type must be application/json', RpcCode.server)
  }
}

/** One JSON-RPC message, as the legacy SSE transport takes them. */
export function parseMessage(body: unknown): JSONRPCMessage {
  const parsed = JSONRPCMessageSchema.safeParse(body)
  if (!parsed.success) throw invalidRequest('Invalid Request: the body is not a JSON-RPC 2.0 message')
  return parsed.data
}

/** A message or a batch, as Streamable HTTP takes them. */
export function parseMessages(body: unknown): JSONRPCMessage[] {
  if (!Array.isArray(body)) return [parseMessage(body)]
  const parsed = BatchSchema.safeParse(body)
  if (!parsed.success) throw invalidRequest('Invalid Request: the body is not a JSON-RPC 2.0 message or batch')
  return parsed.data
}
