import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/** JSON-RPC error codes used in HTTP error bodies (the envelope MCP clients already parse). */
export const RpcCode = {
  parseError: -32700,
  invalidRequest: -32600,
  server: -32000,
  sessionNotFound: -32001,
} as const

/** An error a client caused; the error handler turns it into a JSON answer with this status. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly rpcCode: number = RpcCode.server,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export const unauthorized = () =>
  new HttpError(401, 'Unauthorized: send a valid API key as "Authorization: Bearer <key>" or "X-API-Key"', RpcCode.server, {
    'www-authenticate': 'Bearer realm="mcp"',
  })
export const tooManyRequests = (retryAfterSeconds: number, what: string) =>
  new HttpError(429, `Too many ${what}; retry in ${retryAfterSeconds} s`, RpcCode.server, { 'retry-after': String(retryAfterSeconds) })
export const sessionNotFound = () => new HttpError(404, 'Session not found; initialize a new session', RpcCode.sessionNotFound)
export const invalidRequest = (message: string) => new HttpError(400, message, RpcCode.invalidRequest)

/** The answer for a path that does not exist (or must look as if it did not, like a guarded /metrics). */
export const notFound = (request: FastifyRequest) =>
  new HttpError(404, `Not found: ${request.method} ${request.url.split('?')[0].slice(0, 200)}${request.server.oauth ? '' : ' (this server has no OAuth endpoints)'}`)

export function errorBody(code: number, message: string) {
  return { jsonrpc: '2.0', id: null, error: { code, message } }
}

/** Errors Fastify raises while reading a body, mapped to what the design promises. */
function fromFastify(error: FastifyError): HttpError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(415, 'Unsupported Media Type: Content-Type must be application/json')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'Payload Too Large')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'Parse error: the body is not valid JSON', RpcCode.parseError)
  }
  if (error instanceof SyntaxError) return new HttpError(400, 'Parse error: the body is not valid JSON', RpcCode.parseError)
  if (error.statusCode === 429) return new HttpError(429, 'Too many requests')
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return new HttpError(error.statusCode, error.message)
  return undefined
}

export function sendError(reply: FastifyReply, error: HttpError) {
  // Refused before its body was read (no key, over a budget): the connection closes rather than reading and
  // discarding what the client still sends.
  if (!reply.request.raw.complete) reply.header('connection', 'close')
  return reply.code(error.statusCode).headers(error.headers).send(errorBody(error.rpcCode, error.message))
}

/** The one place errors become answers: client errors are explained, server errors never show internals. */
export default fp(async function errors(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const clientError = error instanceof HttpError ? error : fromFastify(error)
    if (clientError) return sendError(reply, clientError)
    request.log.error({ err: error }, 'request failed')
    return sendError(reply, new HttpError(500, 'Internal server error'))
  })
  app.setNotFoundHandler((request, reply) => sendError(reply, notFound(request)))
})
