import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { eventually } from './processes.js'

// An OTLP/HTTP receiver on a random loopback port, as a collector receives: POST /v1/traces and /v1/metrics,
// in protobuf (decoded with the protobuf definitions the OpenTelemetry JS exporters encode with) or JSON. It
// keeps what it received, flattened to what the tests look at.

const require = createRequire(import.meta.url)
/** The OTLP protobuf messages, generated from opentelemetry-proto (@opentelemetry/otlp-transformer's build). */
const proto = require('@opentelemetry/otlp-transformer/build/src/generated/root.js').opentelemetry.proto

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean }
interface KeyValue {
  key: string
  value: AnyValue
}

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  /** 1 internal, 2 server, 3 client (OTLP's SpanKind). */
  kind: number
  attributes: Record<string, string | number | boolean>
  events: { name: string; attributes: Record<string, string | number | boolean> }[]
  links: { traceId: string; spanId: string }[]
  /** 2 is error (OTLP's StatusCode). */
  status: number
  resource: Record<string, string | number | boolean>
}

export interface ReceivedMetric {
  name: string
  unit: string
  /** The attributes of each of its data points. */
  points: Record<string, string | number | boolean>[]
}

export const SpanKind = { server: 2, client: 3 } as const

const hex = (id: unknown) => (typeof id === 'string' ? id : Buffer.from((id as Uint8Array | undefined) ?? []).toString('hex'))

function valueOf(value: AnyValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  return value.boolValue ?? ''
}
const attributesOf = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]))

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = []
  readonly metrics: ReceivedMetric[] = []
  /** The content types of the export requests received, e.g. application/x-protobuf. */
  readonly contentTypes = new Set<string>()

  constructor(readonly server: Server) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** The spans received once `predicate` matches one of them (within the time bound), or all received so far. */
  async spansWhen(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs = 15_000): Promise<ReceivedSpan[]> {
    await eventually(() => predicate(this.spans), timeoutMs, 100)
    return this.spans
  }

  receive(path: string, contentType: string, body: Buffer): void {
    this.contentTypes.add(contentType)
    const json = contentType.includes('json')
    if (path === '/v1/traces') {
      const request = json ? JSON.parse(body.toString()) : proto.collector.trace.v1.ExportTraceServiceRequest.toObject(proto.collector.trace.v1.ExportTraceServiceRequest.decode(body), { longs: String })
      for (const resourceSpans of request.resourceSpans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes)
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            this.spans.push({
              traceId: hex(span.traceId),
              spanId: hex(span.spanId),
              parentSpanId: hex(span.parentSpanId),
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              events: (span.events ?? []).map((event: { name: string; attributes?: KeyValue[] }) => ({ name: event.name, attributes: attributesOf(event.attributes) })),
              links: (span.links ?? []).map((link: { traceId: unknown; spanId: unknown }) => ({ traceId: hex(link.traceId), spanId: hex(link.spanId) })),
              status: span.status?.code ?? 0,
              resource,
            })
          }
        }
      }
    } else if (path === '/v1/metrics') {
      const request = json ? JSON.parse(body.toString()) : proto.collector.metrics.v1.ExportMetricsServiceRequest.toObject(proto.collector.metrics.v1.ExportMetricsServiceRequest.decode(body), { longs: String })
      for (const resourceMetrics of request.resourceMetrics ?? []) {
        for (const scope of resourceMetrics.scopeMetrics ?? []) {
          for (const metric of scope.metrics ?? []) {
            const data = metric.histogram ?? metric.sum ?? metric.gauge
            this.metrics.push({ name: metric.name, unit: metric.unit, points: (data?.dataPoints ?? []).map((point: { attributes?: KeyValue[] }) => attributesOf(point.attributes)) })
          }
        }
      }
    }
  }
}

/** Starts a receiver; it stops when the test ends. */
export async function startOtlpReceiver(t: { teardown(fn: () => unknown): void }): Promise<OtlpReceiver> {
  const server = createServer()
  const receiver = new OtlpReceiver(server)
  server.on('request', (request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      try {
        receiver.receive(request.url ?? '', String(request.headers['content-type']), Buffer.concat(chunks))
        response.writeHead(200, { 'content-type': String(request.headers['content-type']) }).end(request.headers['content-type']?.includes('json') ? '{}' : '')
      } catch (error) {
        response.writeHead(400).end(String(error))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return receiver
}
