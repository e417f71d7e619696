import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { HTTP_TRACE, type HttpTrace } from '../telemetry/mcp-spans.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's HTTP SERVER span, when tracing is on. */
    httpTrace: HttpTrace | undefined
  }
}

export interface HttpTracingOptions {
  tracer: Tracer
  /** The peer listener: every request on it was relayed by another task, whose relay span is its parent. */
  relayed: boolean
}

/**
 * An HTTP SERVER span per request, per the HTTP semantic conventions (name `{method} {route}`), continuing the
 * `traceparent` header when there is one; the handler runs in its context, so the MCP spans of the messages
 * it carries find it (to link it, and its header's context as their parent when their `_meta` names none).
 * Registered only when tracing is on: a server without it pays nothing here.
 */
export default fp(async function httpTracing(listener: FastifyInstance, { tracer, relayed }: HttpTracingOptions) {
  listener.decorateRequest('httpTrace', undefined)
  listener.addHook('onRequest', (request, reply, done) => {
    const headerContext = request.headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, request.headers)
    const route = request.routeOptions.url
    const span: Span = tracer.startSpan(route ? `${request.method} ${route}` : request.method, { kind: SpanKind.SERVER }, headerContext)
    request.httpTrace = { span, headerContext, relayed }
    // A span the sampler dropped still carries the context; it needs no attributes and no end.
    if (!span.isRecording()) return done()
    span.setAttributes({
      'http.request.method': request.method,
      'url.path': request.url.split('?')[0],
      'url.scheme': request.protocol,
      'client.address': request.ip,
      ...(route && { 'http.route': route }),
      ...(typeof request.headers['user-agent'] === 'string' && { 'user_agent.original': request.headers['user-agent'] }),
    })
    // Streams end long after Fastify's onResponse would (or without it, when hijacked): the socket's close ends the span.
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode
      span.setAttribute('http.response.status_code', status)
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    })
    done()
  })
  // The last hook before the handler, with a callback: the handler is called from inside it, in the span's context.
  listener.addHook('preHandler', (request, _reply, done) => {
    const httpTrace = request.httpTrace!
    context.with(trace.setSpan(ROOT_CONTEXT.setValue(HTTP_TRACE, httpTrace), httpTrace.span), done)
  })
})
