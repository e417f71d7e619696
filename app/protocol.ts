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

/*
 * An input-required answer (MRTR) and the retry it asks for are two requests, often served by two tasks, and the
 * one thing a client must send back unchanged is the answer's `requestState` (mrtr.mdx: the retry carries it
 * byte-exact). With tracing on, the trace context of the round that asked travels there, ahead of the tool's own
 * state (app/telemetry/mcp-spans.ts). Every task takes it off a retry before the SDK and a catalog's requestState
 * verifier see it, tracing on or off: while a rollout turns tracing on, a round answered by a task with it can be
 * retried on one without.
 */
const ROUND_CONTEXT_PREFIX = 'otel-round:'
/** A W3C `traceparent` of version 00: `00-<32 hex>-<16 hex>-<2 hex>`. */
const TRACEPARENT_LENGTH = 55

/** Puts a round's `traceparent` ahead of an input-required result's `requestState`. */
export function carryRoundContext(result: { requestState?: unknown }, traceparent: string | undefined): void {
  if (traceparent?.length !== TRACEPARENT_LENGTH) return
  result.requestState = ROUND_CONTEXT_PREFIX + traceparent + (typeof result.requestState === 'string' ? result.requestState : '')
}

/** The `traceparent` a retry carries ahead of its `requestState`, taken off it (the tool's own state is left, or none). */
export function takeRoundContext(message: JSONRPCRequest): string | undefined {
  const params = message.params as { requestState?: unknown } | undefined
  const state = params?.requestState
  if (typeof state !== 'string' || !state.startsWith(ROUND_CONTEXT_PREFIX)) return undefined
  const own = state.slice(ROUND_CONTEXT_PREFIX.length + TRACEPARENT_LENGTH)
  if (own) params!.requestState = own
  else delete params!.requestState
  return state.slice(ROUND_CONTEXT_PREFIX.length, ROUND_CONTEXT_PREFIX.length + TRACEPARENT_LENGTH)
}
