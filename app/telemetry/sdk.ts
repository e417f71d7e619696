import { context, createNoopMeter, propagation, type Attributes, type Meter, type MeterProvider, type Tracer } from '@opentelemetry/api'

/** What the standard OTEL_* variables decide here (read and checked in config.ts); the SDK reads the rest itself. */
export interface TelemetrySettings {
  /** OTEL_EXPORTER_OTLP_PROTOCOL: which OTLP/HTTP encoding the exporters speak. */
  protocol: 'http/protobuf' | 'http/json'
  /** OTEL_METRIC_EXPORT_INTERVAL. */
  metricExportIntervalMs: number
}

/** The task's tracer and meter, and how many finished spans the export queue had no room for. */
export interface Telemetry {
  tracer: Tracer
  meter: Meter
  readonly spansDropped: number
  /** Exports what is buffered (bounded by the exporters' own timeouts) and stops. */
  shutdown(): Promise<void>
}

/** How long stopping waits for the last spans and metrics to be exported. */
const SHUTDOWN_FLUSH_MS = 2_000

/** The instrumentation scope our spans and metrics are reported under. */
const SCOPE = 'mcp-fargate-server'

/**
 * The batch processor reports a span it drops for a full queue only to its self-observability meter, as
 * `otel.sdk.processor.span.processed` with `error.type` `queue_full` (@opentelemetry/sdk-trace
 * export/SpanProcessorMetrics.js, `dropSpans`): this meter counts those and nothing else.
 */
function droppedSpanCounter(onDropped: (count: number) => void): MeterProvider {
  const noop = createNoopMeter()
  const meter: Meter = Object.create(noop)
  meter.createCounter = (name, options) =>
    name === 'otel.sdk.processor.span.processed'
      ? Object.assign(noop.createCounter(name, options), { add: (count: number, attributes?: Attributes) => void (attributes?.['error.type'] === 'queue_full' && onDropped(count)) })
      : noop.createCounter(name, options)
  return { getMeter: () => meter }
}

/**
 * Starts the OpenTelemetry SDK: traces through a batch processor (its queue bounds the memory spans may
 * take while the collector is slow or away; OTEL_BSP_*), metrics through a periodic reader, both to OTLP/HTTP
 * (OTEL_EXPORTER_OTLP_ENDPOINT, or the per-signal endpoints), the sampler from OTEL_TRACES_SAMPLER and its
 * argument, the resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. The SDK is imported only
 * here, so a server with no endpoint loads none of it. Context travels with AsyncLocalStorage and W3C
 * trace context (`traceparent`, `tracestate`).
 */
export async function startTelemetry(settings: TelemetrySettings, serviceVersion: string): Promise<Telemetry> {
  const [{ NodeTracerProvider, BatchSpanProcessor }, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, metricsSdk, resources, exporters] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/resources'),
    settings.protocol === 'http/json'
      ? Promise.all([import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/exporter-metrics-otlp-http')])
      : Promise.all([import('@opentelemetry/exporter-trace-otlp-proto'), import('@opentelemetry/exporter-metrics-otlp-proto')]),
  ])
  const [{ OTLPTraceExporter }, { OTLPMetricExporter }] = exporters
  // Our name and version unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise (the env detector wins).
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': SCOPE, 'service.version': serviceVersion }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }))
  let spansDropped = 0
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter(), { selfObsMeterProvider: droppedSpanCounter((count) => (spansDropped += count)) } as object)
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] })
  const meterProvider = new metricsSdk.MeterProvider({
    resource,
    readers: [new metricsSdk.PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: settings.metricExportIntervalMs })],
  })
  // A second server in one process (tests) finds these registered already: they are the same kind, and kept.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  return {
    tracer: tracerProvider.getTracer(SCOPE, serviceVersion),
    meter: meterProvider.getMeter(SCOPE, serviceVersion),
    get spansDropped() {
      return spansDropped
    },
    async shutdown() {
      // A collector that is away must not hold the stop past ECS's stopTimeout: what it has not taken by then is lost.
      const flushed = Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()])
      await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref())])
    },
  }
}
