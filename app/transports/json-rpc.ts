import { JSONRPCMessageSchema } from '@modelcontextprotocol/core'
import {
  LATEST_PROTOCOL_VERSION,
  RELATED_TASK_META_KEY,
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

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
/** A JSON-RPC id, or a progress token: a string or an integer in the safe range (the schemas' `z.number().int()`). */
const isIdOrToken = (value: unknown) => typeof value === 'string' || Number.isSafeInteger(value)
const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params'])

/**
 * Whether the body is a request or notification that JSONRPCMessageSchema accepts as it is, checked without the
 * schema: what nearly every POST carries. The schema's union of four strict objects cost a Streamable HTTP call
 * 6 µs (2 %) in a CPU profile (5 % and 0 % in two paired runs against a build without it); anything this check does
 * not vouch for (responses, a `_meta` naming a related task, a bad value) goes through the schema, which has the
 * last word. The schema would hand back a copy equal to the body (test/transports/json-rpc.test.ts).
 */
function isPlainRequest(body: unknown): body is JSONRPCMessage {
  if (!isPlainObject(body) || body.jsonrpc !== '2.0' || typeof body.method !== 'string') return false
  for (const key in body) if (!REQUEST_KEYS.has(key)) return false
  if ('id' in body && !isIdOrToken(body.id)) return false
  if (!('params' in body)) return true
  const { params } = body
  if (!isPlainObject(params)) return false
  if (!('_meta' in params)) return true
  const meta = params._meta
  return isPlainObject(meta) && !(RELATED_TASK_META_KEY in meta) && (!('progressToken' in meta) || isIdOrToken(meta.progressToken))
}

/** One JSON-RPC message, as the legacy SSE transport takes them. */
export function parseMessage(body: unknown): JSONRPCMessage {
  if (isPlainRequest(body)) return body
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
