// A stand-in for AWS Lambda's Node.js response-streaming runtime and a function URL in front of it, for the
// tests and the benchmark: `node dist/bench/servers/lambda-stand-in.js <handler module> --port N
// [--timeout-ms T] [--front function-url|rest-api]`, environment passed to the function. It loads the module as
// the runtime does (init, timed), then turns each HTTP request on 127.0.0.1:N into a function URL event (payload
// format 2.0), or with `--front rest-api` a streaming REST API's proxy event (payload format 1.0), and the
// handler's response stream back into an HTTP answer. What it copies, from the runtime interface client
// (aws-lambda-nodejs-runtime-interface-client: src/utils/globals.ts, src/stream/http-response-stream.ts,
// src/stream/response-stream.ts, src/runtime/streaming-invoke-processor.ts) and the Lambda developer guide
// ("Response streaming", "Invoking Lambda function URLs"):
// - the `awslambda` global: streamifyResponse marks the handler with Symbol.for('aws.lambda.runtime.handler.
//   streaming') = 'response'; HttpResponseStream.from sets the content type
//   application/vnd.awslambda.http-integration-response and, right before the stream's first write() call,
//   writes the JSON prelude and 8 NUL bytes. As in the runtime only write() runs that hook: end(chunk) does not;
// - the handler must return a promise, and the stream must be finished when it settles, else the invocation
//   fails; one invocation at a time per instance; the context's getRemainingTimeInMillis; past the timeout
//   the invocation is cut ("Task timed out");
// - the function URL: request bodies over 6 MB are refused before the function runs; a client that leaves
//   does not stop the function (its bytes are discarded).
// One line of JSON on stderr per event: {"standIn":"init"|"report"|"error", …}: init's wall and CPU time, each
// invocation's duration, what failed.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming')
const PRELUDE_TYPE = 'application/vnd.awslambda.http-integration-response'
const DELIMITER_LENGTH = 8
const REQUEST_LIMIT = 6 * 1024 * 1024

type Sink = { chunk(chunk: Buffer, done: () => void): void; finish(): void }

function report(record: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ standIn: record.kind, ...record, kind: undefined })}\n`)
}

/** The runtime's response stream: bytes to the function URL front end, the prelude hook run by write() only. */
class ResponseStream extends Writable {
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void
  contentType = 'application/octet-stream'
  private started = false

  constructor(private readonly sink: Sink) {
    super()
  }

  setContentType(contentType: string): void {
    if (this.started) throw new Error('Cannot set content-type, too late.')
    this.contentType = contentType
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (!this.started) {
      this.started = true
      this._onBeforeFirstWrite?.((early) => (Writable.prototype.write as (chunk: unknown) => boolean).call(this, early))
    }
    return (Writable.prototype.write as (...args: unknown[]) => boolean).call(this, chunk, encoding, callback)
  }

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.started = true
    this.sink.chunk(chunk, done)
  }

  override _final(done: () => void): void {
    this.sink.finish()
    done()
  }
}

class HttpResponseStream {
  static from(stream: ResponseStream, prelude: Record<string, unknown>): ResponseStream {
    stream.setContentType(PRELUDE_TYPE)
    const metadata = JSON.stringify(prelude)
    stream._onBeforeFirstWrite = (write) => {
      write(metadata)
      write(new Uint8Array(DELIMITER_LENGTH))
    }
    return stream
  }
}

/** The function URL front end's side of one invocation: prelude parsed, head and body written to the client. */
function frontEnd(stream: () => ResponseStream, res: ServerResponse, front: Front): Sink {
  let pending: Buffer | undefined = Buffer.alloc(0)
  const gone = () => res.destroyed || res.writableEnded
  const head = (status: number, headers: Record<string, string>, cookies?: string[]) => {
    if (gone()) return
    res.writeHead(status, cookies ? { ...headers, 'set-cookie': cookies } : headers)
    // The head leaves in this turn of the event loop, with whatever the function writes in the same turn: a quick
    // answer's head, body and end go out in one write to the client instead of three.
    const socket = res.socket
    socket?.cork()
    res.flushHeaders()
    setImmediate(() => socket?.uncork())
  }
  const forward = (chunk: Buffer, done: () => void) => {
    // The client left: the function goes on, and what it writes goes nowhere.
    if (gone() || chunk.length === 0) return done()
    if (res.write(chunk)) done()
    else res.once('drain', done).once('close', done)
  }
  return {
    chunk(chunk, done) {
      if (pending === undefined) return forward(chunk, done)
      if (stream().contentType !== PRELUDE_TYPE) {
        head(200, { 'content-type': stream().contentType })
        pending = undefined
        return forward(chunk, done)
      }
      pending = Buffer.concat([pending, chunk])
      const end = pending.indexOf(Buffer.alloc(DELIMITER_LENGTH))
      if (end < 0) return done()
      const prelude = JSON.parse(pending.subarray(0, end).toString('utf8')) as { statusCode?: number; headers?: Record<string, string>; cookies?: string[]; multiValueHeaders?: Record<string, string[]> }
      const rest = pending.subarray(end + DELIMITER_LENGTH)
      pending = undefined
      head(prelude.statusCode ?? 200, prelude.headers ?? {}, front === 'rest-api' ? prelude.multiValueHeaders?.['set-cookie'] : prelude.cookies)
      forward(rest, done)
    },
    finish() {
      if (pending !== undefined && !gone()) {
        // The stream ended without a prelude: Lambda sends what was written, as the content type says.
        head(200, { 'content-type': stream().contentType })
        res.end(pending)
      } else if (!gone()) res.end()
    },
  }
}

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/

/**
 * What both front doors take from an HTTP request alike: its URL, the caller's address, and its body as the event
 * carries it (text as it is, anything else Base64-encoded; none when empty).
 */
function partsOf(req: IncomingMessage, body: Buffer) {
  const text = TEXT_TYPES.test(req.headers['content-type'] ?? '')
  return {
    url: new URL(req.url ?? '/', 'http://stand-in.local'),
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    payload: { body: body.length > 0 ? body.toString(text ? 'utf8' : 'base64') : undefined, isBase64Encoded: body.length > 0 && !text },
  }
}

/** The front door in front of the function: a function URL, or a REST API whose Lambda proxy integration streams. */
type Front = 'function-url' | 'rest-api'

/**
 * A streaming REST API's event for an HTTP request (the Lambda proxy integration's input, payload format 1.0):
 * header names as sent, each repeated header's values in `multiValueHeaders`, the query the same way, the
 * caller's address in `identity.sourceIp`; API Gateway adds its X-Forwarded-* headers.
 */
function restApiEventOf(req: IncomingMessage, body: Buffer) {
  const { url, sourceIp, payload } = partsOf(req, body)
  const multiValueHeaders: Record<string, string[]> = {}
  for (let i = 0; i < req.rawHeaders.length; i += 2) (multiValueHeaders[req.rawHeaders[i]] ??= []).push(req.rawHeaders[i + 1])
  Object.assign(multiValueHeaders, { 'X-Forwarded-For': [sourceIp], 'X-Forwarded-Proto': ['https'], 'X-Forwarded-Port': ['443'] })
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name, values[values.length - 1]]))
  const multiValueQueryStringParameters: Record<string, string[]> = {}
  for (const [name, value] of url.searchParams) (multiValueQueryStringParameters[name] ??= []).push(value)
  const query = url.search ? { queryStringParameters: Object.fromEntries(url.searchParams), multiValueQueryStringParameters } : { queryStringParameters: null, multiValueQueryStringParameters: null }
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    ...query,
    pathParameters: { proxy: url.pathname.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'stand-in',
      httpMethod: req.method ?? 'GET',
      identity: { sourceIp, userAgent: req.headers['user-agent'] ?? '' },
      path: `/live${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      resourcePath: '/{proxy+}',
      stage: 'live',
      requestTimeEpoch: Date.now(),
    },
    body: payload.body ?? null,
    isBase64Encoded: payload.isBase64Encoded,
  }
}

/** The function URL's event for an HTTP request (payload format 2.0). */
function eventOf(req: IncomingMessage, body: Buffer) {
  const { url, sourceIp, payload } = partsOf(req, body)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue
    headers[name] = Array.isArray(value) ? value.join(',') : value
  }
  Object.assign(headers, { 'x-forwarded-for': sourceIp, 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' })
  const requestId = randomUUID()
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(req.headers.cookie && { cookies: req.headers.cookie.split(/;\s*/) }),
    headers,
    ...(url.search && { queryStringParameters: Object.fromEntries(url.searchParams) }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'stand-in',
      domainName: headers.host ?? 'stand-in.lambda-url.local',
      domainPrefix: 'stand-in',
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(payload.body !== undefined && { body: payload.body }),
    isBase64Encoded: payload.isBase64Encoded,
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > REQUEST_LIMIT) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

type Handler = ((event: unknown, stream: ResponseStream, context: unknown) => unknown) & { [HANDLER_STREAMING]?: string }

async function main() {
  const { values, positionals } = parseArgs({ options: { port: { type: 'string' }, 'timeout-ms': { type: 'string', default: '30000' }, front: { type: 'string', default: 'function-url' } }, allowPositionals: true })
  const front = values.front as Front
  if (front !== 'function-url' && front !== 'rest-api') throw new Error(`--front must be function-url or rest-api, not ${values.front}`)
  const timeoutMs = Number(values['timeout-ms'])
  ;(globalThis as Record<string, unknown>).awslambda = {
    streamifyResponse: (handler: Handler) => Object.assign(handler, { [HANDLER_STREAMING]: 'response' }),
    HttpResponseStream,
  }
  const started = performance.now()
  const initCpu = process.cpuUsage()
  const module = (await import(pathToFileURL(positionals[0]).href)) as { handler?: Handler }
  const initMs = performance.now() - started
  const { user, system } = process.cpuUsage(initCpu)
  const handler = module.handler
  if (typeof handler !== 'function' || handler[HANDLER_STREAMING] !== 'response') throw new Error(`${positionals[0]} exports no streaming handler`)

  let queue = Promise.resolve()
  const invoke = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req)
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' }))
      return
    }
    const event = front === 'rest-api' ? restApiEventOf(req, body) : eventOf(req, body)
    const deadline = Date.now() + timeoutMs
    const context = { awsRequestId: event.requestContext.requestId, functionName: 'stand-in', getRemainingTimeInMillis: () => deadline - Date.now() }
    const stream: ResponseStream = new ResponseStream(frontEnd(() => stream, res, front))
    const began = performance.now()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
    try {
      const result = handler(event, stream, context)
      if (!(result instanceof Promise)) throw new Error('Streaming does not support non-async handlers.')
      if ((await Promise.race([result, timedOut])) === 'timeout') {
        report({ kind: 'error', requestId: context.awsRequestId, error: `Task timed out after ${timeoutMs} ms` })
        res.destroy()
        return
      }
      if (!stream.writableFinished) await new Promise((resolve) => setImmediate(resolve))
      if (!stream.writableFinished) throw new Error('Response stream is not finished.')
    } catch (error) {
      report({ kind: 'error', requestId: context.awsRequestId, error: (error as Error).message })
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }))
      else res.destroy()
      return
    } finally {
      clearTimeout(timer)
    }
    // No CPU time per invocation: process.cpuUsage() cost ≈ 11 % of an add call's CPU in a profile here; measure
    // the process from outside instead (docs/serverless.md "Cost of a call").
    report({ kind: 'report', requestId: context.awsRequestId, durationMs: performance.now() - began })
  }

  const server = createServer((req, res) => {
    // One invocation at a time, as on one Lambda instance.
    queue = queue.then(() => invoke(req, res)).catch((error) => report({ kind: 'error', error: (error as Error).message }))
  })
  await new Promise<void>((resolve) => server.listen(Number(values.port ?? 0), '127.0.0.1', resolve))
  const address = server.address()
  report({ kind: 'init', initMs, initCpuMs: (user + system) / 1000, port: typeof address === 'object' && address ? address.port : undefined })
}

// Stopped by a signal: exit normally, so that `node --cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0))
await main()
