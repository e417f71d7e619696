// How the handler hands a request to the app without a socket (app/lambda/in-process.ts): the app's hooks and
// routes run as for a client, the answer's head comes first and its body as the app writes it, and a client that
// leaves closes the exchange on the app's side, before the head or during the body.
import type { Readable } from 'node:stream'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { dispatchInProcess } from '../../app/lambda/in-process.js'
import type { UpstreamRequest } from '../../app/lambda/events.js'
import { eventually } from '../helpers/processes.js'

const BODY = '{"hello":"world"}'

function request(overrides: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    method: 'POST',
    path: '/echo?probe=1',
    headers: { 'content-type': 'application/json', 'content-length': BODY.length, 'x-multi': ['a', 'b'] },
    body: Buffer.from(BODY),
    ...overrides,
  }
}

async function read(body: Readable): Promise<string> {
  let text = ''
  for await (const chunk of body) text += chunk
  return text
}

/** An app with the routes below; what it saw of each exchange's closing is counted in `closed`. */
async function app(t: { teardown(fn: () => unknown): void }) {
  const closed = { request: 0, response: 0, onResponse: 0, ticks: 0 }
  const server: FastifyInstance = Fastify()
  server.addHook('onRequest', async (req, reply) => {
    req.raw.once('close', () => closed.request++)
    reply.raw.on('close', () => closed.response++)
  })
  server.addHook('onResponse', async () => void closed.onResponse++)
  server.post('/echo', async (req, reply) => {
    reply.header('x-route', 'echo')
    return { body: req.body, url: req.url, ip: req.ip, multi: req.headers['x-multi'] }
  })
  // A stream written by hand, its head given to writeHead alone (as the app's event streams do).
  server.get('/stream', (_req, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
    reply.raw.write('one ')
    setTimeout(() => reply.raw.end('two'), 20)
  })
  server.delete('/empty', async (_req, reply) => reply.code(204).send())
  // Never answers: what a client that leaves is waiting for.
  server.get('/silent', (_req, reply) => void reply.hijack())
  server.get('/endless', (_req, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
    const timer = setInterval(() => {
      closed.ticks++
      reply.raw.write('tick ')
    }, 10)
    reply.raw.once('close', () => clearInterval(timer))
  })
  await server.ready()
  t.teardown(() => server.close())
  return { server, closed }
}

t.test('a JSON answer: its status and headers first, then its body as the app wrote it, unframed', async (t) => {
  const { server, closed } = await app(t)
  const answer = await dispatchInProcess(server, request(), new AbortController().signal)
  t.equal(answer.statusCode, 200)
  t.match(answer.headers, { 'content-type': /^application\/json/, 'x-route': 'echo' })
  const text = await read(answer.body)
  t.equal(Number(answer.headers['content-length']), Buffer.byteLength(text), 'the body is exactly what the head announced')
  t.same(JSON.parse(text), { body: { hello: 'world' }, url: '/echo?probe=1', ip: '127.0.0.1', multi: 'a, b' }, 'the app read the body, the path with its query, the loopback peer and joined header values')
  t.ok(await eventually(() => closed.onResponse === 1 && closed.response === 1 && closed.request === 1), 'the exchange closed once on the app’s side, as after a socket’s answer')
})

t.test('a stream whose head went to writeHead alone: the head is read, the chunks follow in order', async (t) => {
  const { server } = await app(t)
  const answer = await dispatchInProcess(server, request({ method: 'GET', path: '/stream', headers: {}, body: Buffer.alloc(0) }), new AbortController().signal)
  t.equal(answer.statusCode, 200)
  t.equal(answer.headers['content-type'], 'text/event-stream')
  t.notOk('transfer-encoding' in answer.headers, 'no chunked framing announced')
  t.equal(await read(answer.body), 'one two')
})

t.test('an answer without a body: its head, and a body that ends at once', async (t) => {
  const { server } = await app(t)
  const answer = await dispatchInProcess(server, request({ method: 'DELETE', path: '/empty', headers: {}, body: Buffer.alloc(0) }), new AbortController().signal)
  t.equal(answer.statusCode, 204)
  t.equal(await read(answer.body), '')
})

t.test('a client that leaves before the head: the dispatch fails, and the app sees its request and response close', async (t) => {
  const { server, closed } = await app(t)
  const client = new AbortController()
  const dispatched = dispatchInProcess(server, request({ method: 'GET', path: '/silent', headers: {}, body: Buffer.alloc(0) }), client.signal)
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.match(closed, { request: 0, response: 0 }, 'open while the client waits')
  client.abort()
  await t.rejects(dispatched, /left before the answer began/)
  t.ok(await eventually(() => closed.response === 1 && closed.request === 1), 'both closed, once')
})

t.test('a client that leaves during the body: the reader stops early, the app sees its response close and stops writing', async (t) => {
  const { server, closed } = await app(t)
  const client = new AbortController()
  const answer = await dispatchInProcess(server, request({ method: 'GET', path: '/endless', headers: {}, body: Buffer.alloc(0) }), client.signal)
  let text = ''
  await t.rejects(
    (async () => {
      for await (const chunk of answer.body) {
        text += chunk
        if (text.length >= 10) client.abort()
      }
    })(),
    { code: 'ERR_STREAM_PREMATURE_CLOSE' },
  )
  t.match(text, /^(tick )+$/, 'what was written before it left')
  t.ok(await eventually(() => closed.response === 1), 'the response closed once')
  const ticks = closed.ticks
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.equal(closed.ticks, ticks, 'the app wrote nothing more')
})
