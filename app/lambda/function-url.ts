import { timingSafeEqual, createHash } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import type { LambdaFunctionURLEvent } from 'aws-lambda'

/**
 * A Lambda function URL request: payload format version 2.0, as API Gateway HTTP APIs define it (Lambda
 * developer guide, "Invoking Lambda function URLs", request payload format). Header names arrive lower-case,
 * repeated headers joined with commas, cookies apart from the headers.
 */
export type FunctionUrlEvent = LambdaFunctionURLEvent

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
 * configured and the request lacks it, `direct` when no secret is configured (the function URL is the front door).
 */
export function arrival(event: FunctionUrlEvent, secret: string | undefined): 'cloudfront' | 'direct' | 'refused' {
  if (secret === undefined) return 'direct'
  const presented = event.headers?.[ORIGIN_SECRET_HEADER]
  // Digests compared in constant time: equal lengths, and nothing about the secret leaks through timing.
  return presented !== undefined && timingSafeEqual(digest(presented), digest(secret)) ? 'cloudfront' : 'refused'
}

/** The client's address: CloudFront's viewer address on a request that proved it came through CloudFront, else the caller's. */
export function clientAddress(event: FunctionUrlEvent, viaCloudFront: boolean): string {
  const viewer = viaCloudFront ? event.headers?.[VIEWER_ADDRESS_HEADER] : undefined
  if (viewer !== undefined) {
    const port = viewer.lastIndexOf(':')
    const address = (port > 0 ? viewer.slice(0, port) : viewer).replace(/^\[|\]$/g, '')
    if (address !== '') return address
  }
  return event.requestContext.http.sourceIp
}

export interface UpstreamRequest {
  method: string
  path: string
  headers: OutgoingHttpHeaders
  body: Buffer
}

/**
 * The event as the HTTP request the app serves: its method, path and headers, the body decoded, and the
 * client's address in `X-Forwarded-For` (the app trusts its loopback proxy, this handler, for that one hop).
 */
export function upstreamRequest(event: FunctionUrlEvent, client: string): UpstreamRequest {
  const body = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined && !HOP_HEADERS.has(name)) headers[name] = value
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ')
  headers['x-forwarded-for'] = client
  headers['x-forwarded-proto'] = 'https'
  headers['content-length'] = body.length
  const query = event.rawQueryString ? `?${event.rawQueryString}` : ''
  return { method: event.requestContext.http.method, path: `${event.rawPath || '/'}${query}`, headers, body }
}
