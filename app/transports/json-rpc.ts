import { JSONRPCMessageSchema } from '@modelcontextprotocol/core'
import {
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  isInitializeRequest,
  type InitializeRequest,
  type JSONRPCMessage,
} from '@modelcontextprotocol/server'
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { HttpError, RpcCode, invalidRequest } from '../http/errors.js'
import { isRequest } from '../protocol.js'

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

/**
 * The revision that removed JSON-RPC batching (https://modelcontextprotocol.io/specification/2025-06-18/changelog:
 * "Remove support for JSON-RPC batching"); 2025-03-26 requires receiving them. The SDK's
 * transport serves batches on every revision, so the check is ours. Revisions are dates: they compare as strings.
 */
const BATCHING_REMOVED_IN = '2025-06-18'

/** A well-formed initialize request (the SDK's full check runs only on messages that name the method). */
export const isInitialize = (message: JSONRPCMessage): message is InitializeRequest & JSONRPCMessage =>
  isRequest(message) && message.method === 'initialize' && isInitializeRequest(message)

/** The revision a session negotiates at initialize, as the SDK's server chooses it (server/index.js _oninitialize). */
export function negotiatedVersion(messages: JSONRPCMessage[]): string {
  const requested = messages.find(isInitialize)?.params.protocolVersion
  return requested !== undefined && SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION
}

/** Refuses a batch (400 -32600) on a session whose revision has no batching. */
export function refuseBatchOn(protocolVersion: string | undefined, body: unknown): void {
  if (!Array.isArray(body) || protocolVersion === undefined || protocolVersion < BATCHING_REMOVED_IN) return
  throw invalidRequest(`Invalid Request: JSON-RPC batches are not supported on protocol ${protocolVersion} (removed in ${BATCHING_REMOVED_IN})`)
}
