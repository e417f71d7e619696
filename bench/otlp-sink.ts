import { join } from 'node:path'
import { freePort } from './ports.js'
import { getJson, projectRoot, startProcess, type RunningProcess } from './servers.js'

/** The script of the OTLP sink process: takes OTLP/HTTP exports, decodes nothing, counts them. */
const OTLP_SINK_SCRIPT = join(projectRoot(), 'bench', 'servers', 'otlp-sink.mjs')

/** Export requests the sink has taken, by signal. */
export interface OtlpExports {
  traces: number
  metrics: number
}

export interface OtlpSink extends RunningProcess {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT must say. */
  url: string
  exports(): Promise<OtlpExports>
}

/** The sink as a process of its own on a free loopback port; stopped by its pid. */
export async function startOtlpSink(logFile: string): Promise<OtlpSink> {
  const port = await freePort()
  const started = await startProcess('OTLP sink', [OTLP_SINK_SCRIPT], { OTLP_SINK_PORT: String(port) }, port, logFile)
  const url = `http://127.0.0.1:${port}`
  return { ...started, url, exports: async () => (await getJson(`${url}/exports`)) as OtlpExports }
}

/**
 * The samplers run against tracing off, as OTEL_TRACES_SAMPLER and its argument say them. The benchmark's
 * clients send no trace context, so the parent-based sampler decides by the ratio alone: one trace in ten.
 */
export const TRACING_SAMPLERS = {
  'every call': { OTEL_TRACES_SAMPLER: 'always_on' },
  'parent-based 10 %': { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
} as const satisfies Record<string, Record<string, string>>

export type TracingSampler = keyof typeof TRACING_SAMPLERS

/**
 * What turns tracing on in our server: OTLP/HTTP protobuf (the default encoding) to the sink, with `sampler`.
 * Spans leave `exportDelayMs` after the first of a batch ended at the latest (OTEL_BSP_SCHEDULE_DELAY), and at
 * once whenever a full batch of 512 is waiting (@opentelemetry/sdk-trace, export/BatchSpanProcessorBase.js,
 * `_maybeStartTimer`), so exporting them is paid inside the measured window. Metrics keep their default minute
 * between exports; what each call costs them, recording the duration histogram, is paid either way.
 */
export const tracingEnvironment = (sink: OtlpSink, sampler: TracingSampler, exportDelayMs: number): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  OTEL_BSP_SCHEDULE_DELAY: String(exportDelayMs),
  ...TRACING_SAMPLERS[sampler],
})
