// How the handler reads an event from either front door (app/lambda/events.ts): a function URL's (payload format
// 2.0) and a streaming REST API's (payload format 1.0) give the app the same request.
import t from 'tap'
import type { APIGatewayProxyEvent, LambdaFunctionURLEvent } from 'aws-lambda'
import { arrival, clientAddress, invokingRequest, upstreamRequest } from '../../app/lambda/events.js'

const SECRET = 'origin-secret-0123456789abcdef-0123456789'
const BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'

const restApiEvent = {
  resource: '/{proxy+}',
  path: '/team/mcp',
  httpMethod: 'POST',
  headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json', Cookie: 'b=2' },
  multiValueHeaders: { Accept: ['application/json', 'text/event-stream'], 'Content-Type': ['application/json'], Cookie: ['a=1', 'b=2'], 'X-Forwarded-For': ['198.51.100.9'] },
  queryStringParameters: { probe: '2', q: 'a b' },
  multiValueQueryStringParameters: { probe: ['1', '2'], q: ['a b'] },
  pathParameters: { proxy: 'team/mcp' },
  stageVariables: null,
  requestContext: { identity: { sourceIp: '198.51.100.9' }, stage: 'live', path: '/live/team/mcp' },
  body: Buffer.from(BODY).toString('base64'),
  isBase64Encoded: true,
} as unknown as APIGatewayProxyEvent

const functionUrlEvent = {
  version: '2.0',
  rawPath: '/team/mcp',
  rawQueryString: 'probe=1&probe=2&q=a+b',
  cookies: ['a=1', 'b=2'],
  headers: { accept: 'application/json,text/event-stream', 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.9' },
  requestContext: { http: { method: 'POST', sourceIp: '198.51.100.9' } },
  body: BODY,
  isBase64Encoded: false,
} as unknown as LambdaFunctionURLEvent

t.test('a REST API event: lower-case headers with every value, the query rebuilt, the body decoded', async (t) => {
  const request = invokingRequest(restApiEvent)
  t.equal(request.frontDoor, 'rest-api')
  t.equal(request.method, 'POST')
  t.equal(request.path, '/team/mcp?probe=1&probe=2&q=a+b', 'the path without the stage, every value of the query')
  t.equal(request.headers.accept, 'application/json, text/event-stream')
  t.equal(request.headers.cookie, 'a=1; b=2', 'cookies joined as a Cookie header joins them')
  t.equal(request.body.toString(), BODY)
  t.equal(request.sourceIp, '198.51.100.9')
})

t.test('a REST API event whose header names differ only in case: one header, every value kept', async (t) => {
  const spelledTwice = {
    ...restApiEvent,
    headers: { Accept: 'application/json', accept: 'text/event-stream' },
    multiValueHeaders: { Accept: ['application/json'], accept: ['text/event-stream'], 'X-Trace': ['a'], 'x-trace': ['b', 'c'] },
  } as unknown as APIGatewayProxyEvent
  const { headers } = invokingRequest(spelledTwice)
  t.equal(headers.accept, 'application/json, text/event-stream', 'the SDK client\'s Accept stays whole')
  t.equal(headers['x-trace'], 'a, b, c')
})

t.test('a function URL event gives the app the same request', async (t) => {
  const fromUrl = upstreamRequest(invokingRequest(functionUrlEvent), '198.51.100.9')
  const fromApi = upstreamRequest(invokingRequest(restApiEvent), '198.51.100.9')
  t.same([fromUrl.method, fromUrl.path, fromUrl.body.toString()], [fromApi.method, fromApi.path, fromApi.body.toString()])
  t.same(
    [fromApi.headers['content-type'], fromApi.headers.cookie, fromApi.headers['x-forwarded-for'], fromApi.headers['content-length']],
    ['application/json', 'a=1; b=2', '198.51.100.9', Buffer.byteLength(BODY)],
  )
  t.equal(fromUrl.headers.cookie, 'a=1; b=2')
})

t.test('the origin secret guards the function URL only: a REST API event cannot come through it', async (t) => {
  t.equal(arrival(invokingRequest(functionUrlEvent), SECRET), 'refused', 'a function URL event without the secret')
  const withSecret = { ...functionUrlEvent, headers: { ...functionUrlEvent.headers, 'x-mcp-origin-secret': SECRET, 'cloudfront-viewer-address': '203.0.113.7:4711' } }
  t.equal(arrival(invokingRequest(withSecret), SECRET), 'cloudfront')
  t.equal(clientAddress(invokingRequest(withSecret), true), '203.0.113.7', 'the viewer’s address, believed with the secret')
  t.equal(arrival(invokingRequest(restApiEvent), SECRET), 'direct', 'a REST API event, secret configured or not')
  t.equal(clientAddress(invokingRequest(restApiEvent), false), '198.51.100.9')
})
