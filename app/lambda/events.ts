import { timingSafeEqual, createHash } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import type { APIGatewayProxyEvent, LambdaFunctionURLEvent } from 'aws-lambda'

/**
 * What invokes the function with an HTTP request, by its event:
 * - a function URL: payload format version 2.0, as API Gateway HTTP APIs define it (Lambda developer guide,
 *   "Invoking Lambda function URLs", request payload format). Header names arrive lower-case, repeated headers
 *   joined with commas, cookies apart from the headers;
 * - an API Gateway REST API whose Lambda proxy integration streams (response transfer mode STREAM): the proxy
 *   integration's input format, payload version 1.0 (API Gateway developer guide, "Set up a Lambda proxy
 *   integration with payload response streaming": "the same input format as a proxy integration"). Header
 *   names arrive as the client spelled them, every value of a repeated one in `multiValueHeaders`.
 */
export type HttpEvent = LambdaFunctionURLEvent | APIGatewayProxyEvent

/** The parts of an HTTP event the handler uses, whichever front door sent it. */
export interface InvokingRequest {
  /** How the answer's head is written: a REST API reads cookies from `multiValueHeaders`, a function URL from `cookies`. */
  frontDoor: 'function-url' | 'rest-api'
  method: string
  /** The path with its query string. */
  path: string
  /** Header names lower-case, repeated values joined; cookies in `cookie`. */
  headers: Record<string, string>
  body: Buffer
  /** The address the front door saw the request come from. */
  sourceIp: string
}

const isRestApi = (event: HttpEvent): event is APIGatewayProxyEvent => 'httpMethod' in event

const bodyOf = (body: string | null | undefined, base64: boolean) => (body ? Buffer.from(body, base64 ? 'base64' : 'utf8') : Buffer.alloc(0))

/** Values of a repeated header as one: cookies with "; " (RFC 6265), anything else with ", " (RFC 9110). */
const joined = (name: string, values: string[]) => values.join(name === 'cookie' ? '; ' : ', ')

function restApiRequest(event: APIGatewayProxyEvent): InvokingRequest {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value
  // Names as the client spelled them: `Accept` and `accept` are one header (RFC 9110 §5.1), their values all kept.
  const repeated = new Map<string, string[]>()
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    const key = name.toLowerCase()
    if (values?.length) repeated.set(key, (repeated.get(key) ?? []).concat(values))
  }
  for (const [name, values] of repeated) headers[name] = joined(name, values)
  const query = new URLSearchParams()
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) for (const value of values ?? []) query.append(name, value)
  const search = query.size > 0 ? `?${query}` : ''
  return { frontDoor: 'rest-api', method: event.httpMethod, path: `${event.path || '/'}${search}`, headers, body: bodyOf(event.body, event.isBase64Encoded), sourceIp: event.requestContext.identity.sourceIp }
}

function functionUrlRequest(event: LambdaFunctionURLEvent): InvokingRequest {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name] = value
  if (event.cookies?.length) headers.cookie = joined('cookie', event.cookies)
  const query = event.rawQueryString ? `?${event.rawQueryString}` : ''
  const { method, sourceIp } = event.requestContext.http
  return { frontDoor: 'function-url', method, path: `${event.rawPath || '/'}${query}`, headers, body: bodyOf(event.body, event.isBase64Encoded), sourceIp }
}

/** The request an event carries, read the same way from either front door. */
export const invokingRequest = (event: HttpEvent): InvokingRequest => (isRestApi(event) ? restApiRequest(event) : functionUrlRequest(event))

/**
 * The header CloudFront adds to every request it sends the function (an origin custom header): its value is
 * MCP_LAMBDA_ORIGIN_SECRET, so a request that came straight to the function URL, bypassing CloudFront, is
 * refused. Origin access control (OAC) cannot do this for MCP: with OAC, a POST to a function URL must carry
 * the SHA-256 of its body in `x-amz-content-sha256`, computed by the client (CloudFront developer guide,
 * "Restrict access to an AWS Lambda function URL origin": "Lambda doesn't support unsigned payloads"), and
 * no MCP client sends it. So the URL's AuthType is NONE and the function checks this header.
 */
export const ORIGIN_SECRET_HEADER = 'x-mcp-origin-secret'

/**
 * The viewer's address as CloudFront sees it, `ip:port` (CloudFront developer guide, "Add CloudFront request
 * headers": CloudFront-Viewer-Address); forwarded by the stack's origin request policy. Trusted only on a
 * request that carries the origin secret: anyone else could write it.
 */
const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address'

/** Headers that describe this hop, not the request: the upstream request gets its own. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', ORIGIN_SECRET_HEADER])

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Where the request came from: `cloudfront` when it carries the origin secret, `refused` when a secret is
 * configured and the request lacks it, `direct` when no secret is configured (the function URL is the front door)
 * or the event is a REST API's. The secret keeps callers off the public function URL; a REST API's event cannot
 * come through that URL (the URL sends format 2.0 events), only from the API the function's resource policy lets
 * invoke it, so it needs no secret.
 */
export function arrival(request: InvokingRequest, secret: string | undefined): 'cloudfront' | 'direct' | 'refused' {
  if (secret === undefined || request.frontDoor === 'rest-api') return 'direct'
  const presented = request.headers[ORIGIN_SECRET_HEADER]
  // Digests compared in constant time: equal lengths, and nothing about the secret leaks through timing.
  return presented !== undefined && timingSafeEqual(digest(presented), digest(secret)) ? 'cloudfront' : 'refused'
}

/** The client's address: CloudFront's viewer address on a request that proved it came through CloudFront, else the caller's. */
export function clientAddress(request: InvokingRequest, viaCloudFront: boolean): string {
  const viewer = viaCloudFront ? request.headers[VIEWER_ADDRESS_HEADER] : undefined
  if (viewer !== undefined) {
    const port = viewer.lastIndexOf(':')
    const address = (port > 0 ? viewer.slice(0, port) : viewer).replace(/^\[|\]$/g, '')
    if (address !== '') return address
  }
  return request.sourceIp
}

export interface UpstreamRequest {
  method: string
  path: string
  headers: OutgoingHttpHeaders
  body: Buffer
}

/**
 * The event's request as the app serves it: its method, path and headers, the body decoded, and the client's
 * address in `X-Forwarded-For` (the app trusts its one proxy, this handler, for that hop).
 */
export function upstreamRequest(request: InvokingRequest, client: string): UpstreamRequest {
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(request.headers)) if (!HOP_HEADERS.has(name)) headers[name] = value
  headers['x-forwarded-for'] = client
  headers['x-forwarded-proto'] = 'https'
  headers['content-length'] = request.body.length
  return { method: request.method, path: request.path, headers, body: request.body }
}
