import type { FastifyRequest } from 'fastify'
import { PROTOCOL_VERSION_META_KEY, UnsupportedProtocolVersionError, classifyInboundRequest } from '@modelcontextprotocol/server'
import { FIRST_MODERN_REVISION } from '../protocol.js'

/** The code of a disagreement between the standard headers and the body (2026-07-28 HeaderMismatch). */
const HEADER_MISMATCH = -32020

const claimsModern = (message: unknown): boolean => {
  const meta = (message as { params?: { _meta?: unknown } } | null)?.params?._meta
  return typeof meta === 'object' && meta !== null && PROTOCOL_VERSION_META_KEY in meta
}

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name]
  return typeof value === 'string' ? value : undefined
}

type Classified = ReturnType<typeof classifyInboundRequest>
/** A POST that MCP 2026-07-28 answers: a request to serve, or one of that revision's refusals. */
export type ModernRoute = Exclude<Classified, { kind: 'legacy' }>
export type ModernMessage = Extract<Classified, { kind: 'modern' }>

/**
 * Whether a POST to /mcp is MCP 2026-07-28 (or must get that revision's error answer), as the SDK's own
 * entry decides it (`classifyInboundRequest`, the step behind `isLegacyRequest`). The SDK classifies a
 * message as legacy unless its `_meta` carries the protocol-version claim or the MCP-Protocol-Version header
 * names a modern revision (server dist src-DdvbAHrR.mjs, classifyRequestBody / classifyNotificationBody /
 * classifyBatch), so a message with neither goes to the 2025 path without asking it: the SDK's check
 * re-parses the message with zod, a cost every 2025 request would pay. A request carrying both an envelope
 * and an Mcp-Session-Id is modern: the spec has a server ignore the stray session id
 * (2026-07-28 basic/transports/streamable-http "Earlier Streamable HTTP Revisions").
 */
export function modernRoute(request: FastifyRequest): ModernRoute | undefined {
  const version = header(request, 'mcp-protocol-version')?.trim()
  const body = request.body
  const claimed = Array.isArray(body) ? body.some(claimsModern) : claimsModern(body)
  if (!claimed && !(version !== undefined && version >= FIRST_MODERN_REVISION)) return undefined
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    protocolVersionHeader: version,
    mcpMethodHeader: header(request, 'mcp-method'),
    mcpNameHeader: header(request, 'mcp-name'),
  })
  return route.kind === 'legacy' ? undefined : route
}

/** A JSON-RPC error answered before any server is built, with its HTTP status. */
export interface Refusal {
  status: number
  error: { code: number; message: string; data?: unknown }
}

const mismatch = (header: string, body: string): Refusal => ({
  status: 400,
  error: { code: HEADER_MISMATCH, message: `Bad Request: the request headers and body disagree: ${body}`, data: { mismatch: { header, body } } },
})

/** Which param the Mcp-Name header repeats, by method (SDK 2.4.0 src MCP_NAME_HEADER_SOURCE). */
const NAMED_PARAM: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri', 'tasks/get': 'taskId', 'tasks/update': 'taskId', 'tasks/cancel': 'taskId' }

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * An Mcp-Name value: as it is, or the UTF-8 inside a `=?base64?…?=` sentinel; undefined when that is not
 * canonical Base64 of valid UTF-8 (the SDK answers both -32020).
 */
function decodeName(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value
  const base64 = value.slice(9, -2)
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64)) return undefined
  try {
    return strictUtf8.decode(Buffer.from(base64, 'base64'))
  } catch {
    return undefined
  }
}

/** A refusal of the SDK's classification (a malformed envelope, a header disagreeing with the body, …). */
export const rejection = (route: Extract<ModernRoute, { kind: 'reject' }>): Refusal => ({
  status: route.httpStatus,
  error: { code: route.code, message: route.message, data: route.data },
})

/**
 * What the SDK's modern entry refuses in a classified request before building a server, in its order
 * (createMcpHandler's `serveModern`): a revision it does not serve (-32022), then a standard header that is
 * missing or disagrees with the body (-32020; `validateStandardRequestHeaders`, of which the classification
 * checks only the disagreements it can see). Written here because we serve the request without the SDK's
 * entry (see modern-http.ts). Its other rungs have nothing to check in SDK 2.4.0 or in our catalog: no method
 * requires a client capability (`REQUIRED_CLIENT_CAPABILITIES_BY_METHOD` is empty), a call to a tool with
 * `x-mcp-header` parameters goes to the SDK's entry, which checks its `Mcp-Param-*` headers, and no tool
 * requires an OAuth scope of its own (MCP_OAUTH_REQUIRED_SCOPES apply to every request).
 */
export function refusal(route: ModernMessage, request: FastifyRequest): Refusal | undefined {
  const revision = route.classification.revision
  if (revision !== FIRST_MODERN_REVISION) {
    const error = new UnsupportedProtocolVersionError({ supported: [FIRST_MODERN_REVISION], requested: revision ?? 'unknown' })
    return { status: 400, error: { code: error.code, message: error.message, data: error.data } }
  }
  if (route.messageKind !== 'request') return undefined
  const { method, params } = route.message
  if (header(request, 'mcp-protocol-version') === undefined) {
    return mismatch('(missing)', `the body envelope names protocol version ${revision} but the required MCP-Protocol-Version header is absent`)
  }
  if (header(request, 'mcp-method') === undefined) return mismatch('(missing)', `the body names method ${method} but the required Mcp-Method header is absent`)
  const field = Object.hasOwn(NAMED_PARAM, method) ? NAMED_PARAM[method] : undefined
  if (field === undefined) return undefined
  const named = params?.[field]
  const value = typeof named === 'string' ? named : undefined
  const nameHeader = header(request, 'mcp-name')?.replace(/^[\t ]+|[\t ]+$/g, '')
  if (nameHeader === undefined) {
    return value === undefined ? undefined : mismatch('(missing)', `the body carries params.${field}="${value}" but the required Mcp-Name header is absent`)
  }
  const decoded = decodeName(nameHeader)
  if (decoded === undefined) return mismatch(nameHeader, 'the Mcp-Name header carries an invalid Base64 sentinel value')
  if (value !== undefined && decoded !== value) return mismatch(nameHeader, `the body carries params.${field}="${value}" but the Mcp-Name header names "${decoded}"`)
  return undefined
}

/** The id an error answer echoes: the body's, when it is one request with a string or number id. */
export function echoedId(body: unknown): string | number | null {
  const { method, id } = (body ?? {}) as { method?: unknown; id?: unknown }
  return !Array.isArray(body) && typeof method === 'string' && (typeof id === 'string' || typeof id === 'number') ? id : null
}
