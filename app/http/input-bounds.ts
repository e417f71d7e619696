import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { HttpError } from './errors.js'
import { HeapGuard } from './heap-guard.js'
import { InputLoad, type InputHold } from './input-load.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** What this request's input holds of its key's load; set on every authenticated request before its body is read. */
    inputHold: InputHold | undefined
  }
  interface FastifyInstance {
    inputLoad: InputLoad
    heapGuard: HeapGuard
  }
}

const RETRY_AFTER_SHORT_OF_MEMORY_SECONDS = 5

/** Bodies from this size on look at the heap before they are read, not only at the timer's last sample. */
const LARGE_BODY_BYTES = 64 * 1024

/** New work refused while the heap is near its limit; counted, and the client told when to come back. */
function shedding(listener: FastifyInstance): HttpError {
  listener.metrics.rateLimited.inc({ reason: 'memory' })
  return new HttpError(503, 'Service Unavailable: this task is short of memory; retry shortly', undefined, { 'retry-after': String(RETRY_AFTER_SHORT_OF_MEMORY_SECONDS) })
}

/** The bytes a body will take while it is received: its declared length, or the body limit when it declares none. */
function declaredLength(request: FastifyRequest, bodyLimit: number): number {
  const length = Number(request.headers['content-length'])
  if (Number.isFinite(length)) return Math.min(Math.max(length, 0), bodyLimit)
  return request.headers['transfer-encoding'] === undefined ? 0 : bodyLimit
}

/** The input hold of an authenticated request (every route that admits requests has one). */
export function holdOf(request: FastifyRequest): InputHold {
  if (request.inputHold === undefined) throw new Error(`${request.method} ${request.routeOptions.url} has no input hold: is it authenticated?`)
  return request.inputHold
}

/**
 * Bounds what requests bring in, on a listener: new work of an authenticated request is shed while the heap is
 * near its limit (before its body is read), and every authenticated request holds its body's bytes against its key and the task from before the first byte is
 * read (json-body.ts turns that into the parsed cost) until it is over. Unauthenticated requests never get
 * here: authentication answers them before their bodies are read. The peer port shares the app's load and guard.
 */
export function boundInput(listener: FastifyInstance, load: InputLoad, heap: HeapGuard, bodyLimit: number): void {
  listener.decorateRequest('inputHold', undefined)
  // One hook, and with a callback rather than async: it runs on every authenticated request (benchmark profile).
  listener.addHook('preParsing', (request, reply, payload, done) => {
    if (request.principal === undefined) return done(null, payload)
    const declared = declaredLength(request, bodyLimit)
    // A large body can take the heap past the mark between two samples of the timer: it looks again first.
    if (declared >= LARGE_BODY_BYTES) heap.sample()
    if (heap.pressed) return done(shedding(listener))
    // A request without a body that admits no MCP request (a GET stream, a DELETE) holds nothing: a hold and its
    // listener would otherwise live as long as an idle session's stream (≈ 0.25 KB of heap per idle session).
    if (declared === 0 && request.method !== 'POST') return done(null, payload)
    let hold: InputHold
    try {
      hold = load.hold(request.principal.name, declared)
    } catch (error) {
      return done(error as Error)
    }
    request.inputHold = hold
    reply.raw.once('close', () => hold.endExchange())
    done(null, payload)
  })
}

/** The task's input load and heap guard, and their bounds on the public listener; readiness fails while the heap is pressed. */
export default fp(async function inputBounds(app: FastifyInstance, { config }: { config: Config }) {
  const heap = new HeapGuard(config.heapShedPercent, app.log)
  app.decorate('inputLoad', new InputLoad(config, app.metrics))
  app.decorate('heapGuard', heap)
  app.readinessChecks.push(() => (heap.pressed ? 'memory pressure' : undefined))
  app.addHook('onClose', async () => heap.stop())
  boundInput(app, app.inputLoad, heap, config.maxBodyBytes)
})
