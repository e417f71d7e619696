import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { RpcCode, errorBody } from '../http/errors.js'
import { echoedId } from '../transports/modern-route.js'
import { messageEvent } from '../transports/event-stream.js'
import { arrival, clientAddress, invokingRequest, upstreamRequest, type HttpEvent, type InvokingRequest } from './events.js'
import { dispatchInProcess } from './in-process.js'
import type { Context, StreamifyHandler } from 'aws-lambda'
import type { JSONRPCMessage } from '@modelcontextprotocol/server'

/** The stream a streaming handler writes to (`awslambda`, the runtime's global: @types/aws-lambda declares it). */
type ResponseStream = awslambda.HttpResponseStream

/**
 * The HTTP head of the answer: `HttpResponseStream.from` writes it as JSON, then 8 NUL bytes. Cookies go apart
 * from the headers: in `cookies` for a function URL (Lambda developer guide, "Invoking Lambda function URLs",
 * response payload format), in `multiValueHeaders` for a REST API (API Gateway developer guide, "Set up a Lambda
 * proxy integration with payload response streaming", its Set-Cookie example).
 */
interface ResponsePrelude {
  statusCode: number
  headers: Record<string, string>
  cookies?: string[]
  multiValueHeaders?: Record<string, string[]>
}

export interface LambdaLimits {
  /** Bytes an answer may have (MCP_LAMBDA_MAX_RESPONSE_BYTES); a larger one is refused, not cut. */
  maxResponseBytes: number
  /** A call is ended this long before the function's own timeout (MCP_LAMBDA_DEADLINE_MARGIN_MS). */
  deadlineMarginMs: number
  /** CloudFront's origin header secret (MCP_LAMBDA_ORIGIN_SECRET); undefined: the function URL is the front door. */
  originSecret: string | undefined
  /** Where sessions are served (MCP_SESSION_URL), named when an answer cannot be given here. */
  sessionUrl: string | undefined
}

/** Headers of the app's answer that describe its hop to this handler; Lambda frames the function URL's answer itself. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length'])

/** The app's answer head as the front door's prelude: one value per header, cookies apart (as the prelude has them). */
function preludeOf(status: number, headers: OutgoingHttpHeaders, frontDoor: InvokingRequest['frontDoor']): ResponsePrelude & Record<string, unknown> {
  const out: Record<string, string> = {}
  let cookies: string[] | undefined
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_HEADERS.has(name)) continue
    if (name === 'set-cookie') cookies = Array.isArray(value) ? value : [String(value)]
    else out[name] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  if (!cookies) return { statusCode: status, headers: out }
  return frontDoor === 'rest-api' ? { statusCode: status, headers: out, multiValueHeaders: { 'set-cookie': cookies } } : { statusCode: status, headers: out, cookies }
}

/**
 * The function URL's answer head, sent at once. The runtime writes the prelude (JSON, then 8 NUL bytes) in a
 * hook that only `write()` runs, not `end(chunk)` (runtime interface client, src/stream/response-stream.ts):
 * an empty first write sends the head now, also for a stream that stays silent or an answer with no body.
 */
function open(responseStream: ResponseStream, prelude: ResponsePrelude & Record<string, unknown>): ResponseStream {
  const stream = awslambda.HttpResponseStream.from(responseStream, prelude)
  stream.write('')
  return stream
}

/** A JSON answer written by the handler itself (refusals that never reach the app, or that the app could not finish). */
function answer(responseStream: ResponseStream, status: number, body: unknown): void {
  const stream = open(responseStream, { statusCode: status, headers: { 'content-type': 'application/json' } })
  stream.write(JSON.stringify(body))
  stream.end()
}

const rpcError = (id: string | number | null, message: string) => ({ jsonrpc: '2.0', id, error: { code: RpcCode.server, message } }) as JSONRPCMessage

/**
 * The handler of HTTP events (a function URL's, or a streaming REST API's): each event goes through the app this
 * instance built at init as an HTTP request dispatched in process (the same auth, allow-lists, input bounds, audit
 * lines and errors as the container), and the app's answer is streamed back as it is written (Lambda response
 * streaming), with Lambda's limits added on top:
 * - a call is bounded below the function's timeout: the app sees its client leave (its handler is aborted,
 *   as when a client disconnects) and the client gets a clear error, instead of Lambda cutting the stream;
 *   Lambda itself never stops a function whose client left ("a client leaving does not stop the function",
 *   Lambda developer guide, "Response streaming"), so this bound is also what ends such a call;
 * - an answer larger than MCP_LAMBDA_MAX_RESPONSE_BYTES is refused with a clear error, never cut short. That
 *   bound also caps what an invocation holds unsent for a slow reader, in place of the container's stream bounds
 *   (a response dispatched in process drains at once, so the app's bounded writes never see a backlog).
 */
export function httpEventHandler(app: FastifyInstance, limits: LambdaLimits): StreamifyHandler<HttpEvent, void> {
  const tooLarge = (bytes: string) =>
    `The answer (${bytes}) is larger than this function can send (MCP_LAMBDA_MAX_RESPONSE_BYTES=${limits.maxResponseBytes})` +
    (limits.sessionUrl ? `; call it on ${limits.sessionUrl}/mcp` : '')
  const pastDeadline = (ms: number) =>
    `The call ran past this function's time bound (${(ms / 1000).toFixed(1)} s, below its timeout) and was ended` + (limits.sessionUrl ? `; long calls belong on ${limits.sessionUrl}/mcp` : '')

  return async function handle(event: HttpEvent, responseStream: ResponseStream, context: Context): Promise<void> {
    const invoking = invokingRequest(event)
    const from = arrival(invoking, limits.originSecret)
    if (from === 'refused') {
      app.log.warn({ event: 'origin_refused', sourceIp: invoking.sourceIp }, 'request without the origin secret refused')
      return answer(responseStream, 403, errorBody(RpcCode.server, 'Forbidden: use the service URL'))
    }
    const request = upstreamRequest(invoking, clientAddress(invoking, from === 'cloudfront'))
    const idOf = () => echoedId(parseBody(request.body))
    const boundMs = context.getRemainingTimeInMillis() - limits.deadlineMarginMs
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(), Math.max(0, boundMs))
    let out: ResponseStream | undefined
    let eventStream = false
    try {
      const response = await dispatchInProcess(app, request, deadline.signal)
      const length = Number(response.headers['content-length'])
      if (length > limits.maxResponseBytes) {
        response.leave()
        app.log.warn({ event: 'answer_too_large', bytes: length }, 'answer refused: larger than MCP_LAMBDA_MAX_RESPONSE_BYTES')
        return answer(responseStream, 502, rpcError(idOf(), tooLarge(`${length} bytes`)))
      }
      eventStream = response.headers['content-type']?.startsWith('text/event-stream') ?? false
      out = open(responseStream, preludeOf(response.statusCode ?? 502, response.headers, invoking.frontDoor))
      let sent = 0
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        sent += chunk.length
        if (sent > limits.maxResponseBytes) {
          response.leave()
          app.log.warn({ event: 'answer_too_large', bytes: sent }, 'answer ended: larger than MCP_LAMBDA_MAX_RESPONSE_BYTES')
          if (eventStream) out.write(messageEvent(rpcError(idOf(), tooLarge(`over ${limits.maxResponseBytes} bytes`))))
          break
        }
        // Not held back while the runtime's stream drains: the app's writes would then wait in the in-process
        // response, where its stream bound cannot see them. Read at once, they count toward the answer's bound
        // above, which caps what an invocation can hold unsent.
        out.write(chunk)
      }
      out.end()
    } catch (error) {
      if (!deadline.signal.aborted) {
        app.log.error({ err: error }, 'the app did not answer')
        if (out) out.end()
        else answer(responseStream, 502, errorBody(RpcCode.server, 'Bad gateway: the server did not answer'))
        return
      }
      app.log.warn({ event: 'deadline', boundMs }, 'call ended at the function time bound')
      const message = rpcError(idOf(), pastDeadline(boundMs))
      if (!out) return answer(responseStream, 504, message)
      if (eventStream) out.write(messageEvent(message))
      out.end()
    } finally {
      clearTimeout(timer)
    }
  }
}

function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}
