import type { JSONRPCMessage, JSONRPCRequest, JSONRPCResponse, RequestId } from '@modelcontextprotocol/server'

/*
 * Facts of the MCP protocol that transports, sessions and the catalog all use: the revisions, the kind of a
 * message, the round of a call.
 *
 * The kind of a JSON-RPC message known to be well formed: one that passed the SDK's JSONRPCMessageSchema on the
 * way in, or one the SDK built on the way out. That schema's four shapes are strict objects (core dist
 * schemas: JSONRPCRequestSchema, JSONRPCNotificationSchema, JSONRPCResultResponseSchema and
 * JSONRPCErrorResponseSchema are each `.strict()`), so the keys a message has decide its kind. The SDK's
 * guards (isJSONRPCRequest, …) parse the whole message again for every question: about 4 % of a tool call's
 * CPU in the benchmark's profile.
 */

/** The first revision without sessions (SDK: `isModernProtocolVersion`, a string comparison of dates). */
export const FIRST_MODERN_REVISION = '2026-07-28'

export const isRequest = (message: JSONRPCMessage): message is JSONRPCRequest => 'method' in message && 'id' in message

/** A result or an error response (an error may have no id: the request it answers could not be read). */
export const isResponse = (message: JSONRPCMessage): message is JSONRPCResponse => 'result' in message || 'error' in message

/** The request a message answers (a result or an error response); undefined for anything else. */
export function answeredRequest(message: JSONRPCMessage): RequestId | undefined {
  return isResponse(message) ? (message.id ?? undefined) : undefined
}

/** The request a `notifications/cancelled` names; undefined for any other message. */
export function cancelledRequest(message: JSONRPCMessage): RequestId | undefined {
  const requestId = 'method' in message && message.method === 'notifications/cancelled' ? message.params?.requestId : undefined
  return typeof requestId === 'string' || typeof requestId === 'number' ? requestId : undefined
}

/**
 * Which round of a call a request is (MCP 2026-07-28 multi-round-trip, or the SDK's shim on 2025 sessions): 1,
 * or 2 for the call made again with the input it asked for (`inputResponses`). Our tools ask for input at
 * most once; a tool that asked more than once would count its rounds in its `requestState`.
 */
export const roundOf = (inputResponses: unknown): number => (inputResponses === undefined ? 1 : 2)
