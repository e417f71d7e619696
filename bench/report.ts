import { readFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { figureNames, type Measurement, type RunResults } from './harness.js'
import { TRANSPORTS, type TransportName } from './load/session.js'
import { RAISED_LIMITS, SERVER_KINDS, projectRoot, type ServerKind } from './servers.js'
import { median } from './stats.js'

/** A figure of one transport: the median per server and the median of the per-repetition ratios. */
export interface SummaryLine {
  figure: string
  median: Record<ServerKind, number>
  vsReference: number
  vsLimit: number
}

export interface Target {
  transport: TransportName
  figure: string
  against: 'reference' | 'limit'
  /** `at least` / `at most` this multiple of the comparison server. */
  bound: 'at least' | 'at most'
  factor: number
  ratio: number
  met: boolean
}

const PACKAGES = ['@modelcontextprotocol/server', '@modelcontextprotocol/sdk', 'fastify', 'express', 'zod', 'pino', 'prom-client']

export function environment() {
  const root = projectRoot()
  const version = (name: string) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version as string
  return {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release() },
    node: process.version,
    packages: Object.fromEntries(PACKAGES.map((name) => [name, version(name)])),
    server: { NODE_ENV: 'production', LOG_LEVEL: 'info (default), written to a file', ...RAISED_LIMITS },
  }
}

function figureOrder(results: RunResults): string[] {
  const levels = results.profile.levels
  return [
    figureNames.establish,
    figureNames.openCpu,
    ...levels.flatMap((sessions) => [figureNames.calls(sessions), figureNames.p50(sessions), figureNames.p99(sessions), figureNames.cpu(sessions)]),
    figureNames.idle,
    figureNames.baseRss,
  ]
}

/** Values of one figure of one server, one per repetition (in repetition order). */
function perRepetition(measurements: Measurement[], server: ServerKind, figure: string): Map<number, number> {
  const values = new Map<number, number>()
  for (const measurement of measurements) {
    if (measurement.server === server && figure in measurement.figures) values.set(measurement.repetition, measurement.figures[figure])
  }
  return values
}

function pairedRatio(ours: Map<number, number>, theirs: Map<number, number>): number {
  return median([...ours].filter(([repetition]) => theirs.has(repetition)).map(([repetition, value]) => value / theirs.get(repetition)!))
}

export function summarize(results: RunResults, transport: TransportName): SummaryLine[] {
  const measurements = results.measurements.filter((measurement) => measurement.transport === transport)
  return figureOrder(results).map((figure) => {
    const values = Object.fromEntries(SERVER_KINDS.map((server) => [server, perRepetition(measurements, server, figure)])) as Record<ServerKind, Map<number, number>>
    return {
      figure,
      median: Object.fromEntries(SERVER_KINDS.map((server) => [server, median([...values[server].values()])])) as Record<ServerKind, number>,
      vsReference: pairedRatio(values.us, values.reference),
      vsLimit: pairedRatio(values.us, values.limit),
    }
  })
}

export function failuresOf(results: RunResults, transport: TransportName): Record<ServerKind, number> {
  const total = (server: ServerKind) =>
    results.measurements.filter((m) => m.transport === transport && m.server === server).reduce((sum, m) => sum + m.failures, 0)
  return Object.fromEntries(SERVER_KINDS.map((server) => [server, total(server)])) as Record<ServerKind, number>
}

/** The issue's targets, judged on the paired ratios. */
export function judge(results: RunResults): Target[] {
  const [low, high] = results.profile.levels
  const rules: Omit<Target, 'transport' | 'ratio' | 'met'>[] = [
    ...[low, high].map((n) => ({ figure: figureNames.calls(n), against: 'reference' as const, bound: 'at least' as const, factor: 1 })),
    ...[low, high].map((n) => ({ figure: figureNames.cpu(n), against: 'reference' as const, bound: 'at most' as const, factor: 1 })),
    { figure: figureNames.p99(high), against: 'reference', bound: 'at most', factor: 1 },
    { figure: figureNames.idle, against: 'reference', bound: 'at most', factor: 1 },
    { figure: figureNames.establish, against: 'reference', bound: 'at least', factor: 1 },
    ...[low, high].map((n) => ({ figure: figureNames.cpu(n), against: 'limit' as const, bound: 'at most' as const, factor: 2.5 })),
    { figure: figureNames.idle, against: 'limit', bound: 'at most', factor: 1.5 },
  ]
  return TRANSPORTS.flatMap((transport) => {
    const lines = new Map(summarize(results, transport).map((line) => [line.figure, line]))
    return rules.map((rule) => {
      const line = lines.get(rule.figure)!
      const ratio = rule.against === 'reference' ? line.vsReference : line.vsLimit
      const met = rule.bound === 'at least' ? ratio >= rule.factor : ratio <= rule.factor
      return { transport, ...rule, ratio, met }
    })
  })
}

const fixed = (value: number) => (Number.isFinite(value) ? value.toFixed(Math.abs(value) < 10 ? 2 : 0) : String(value))

export function markdown(results: RunResults, env: ReturnType<typeof environment>): string {
  const p = results.profile
  const out = [
    `# MCP server benchmark (${p.name})`,
    '',
    `${env.date} · ${env.machine.cpu}, ${env.machine.cores} cores, ${env.machine.memoryGiB} GiB · Linux ${env.machine.kernel} · Node ${env.node}`,
    `packages: ${Object.entries(env.packages).map(([name, version]) => `${name} ${version}`).join(', ')}`,
    `our server: ${Object.entries(env.server).map(([name, value]) => `${name}=${value}`).join(', ')}`,
    `profile: ${p.repetitions} repetition(s); ${p.levels.join(' and ')} sessions calling back to back for ${p.callMs} ms after ${p.warmupMs} ms warm-up; ${p.idleSessions} idle sessions; ${p.concurrency} sessions opening at once`,
    '',
    'Medians over repetitions; ratios are us ÷ other, taken within each repetition, then the median.',
  ]
  for (const transport of TRANSPORTS) {
    const failures = failuresOf(results, transport)
    out.push('', `## ${transport === 'sse' ? 'legacy SSE (/sse + /messages)' : 'Streamable HTTP (/mcp)'}`, '')
    out.push('| figure | us | reference | limit | us ÷ reference | us ÷ limit |', '|---|---:|---:|---:|---:|---:|')
    for (const line of summarize(results, transport)) {
      out.push(`| ${line.figure} | ${fixed(line.median.us)} | ${fixed(line.median.reference)} | ${fixed(line.median.limit)} | ${fixed(line.vsReference)} | ${fixed(line.vsLimit)} |`)
    }
    out.push(`| failures (total) | ${failures.us} | ${failures.reference} | ${failures.limit} | | |`)
  }
  out.push('', '## Targets', '')
  for (const target of judge(results)) {
    out.push(`- ${target.met ? 'MET   ' : 'MISSED'} ${target.transport}: ${target.figure} ${target.bound} ${target.factor}× ${target.against} (is ${fixed(target.ratio)}×)`)
  }
  const ourFailures = TRANSPORTS.reduce((sum, transport) => sum + failuresOf(results, transport).us, 0)
  out.push(`- ${ourFailures === 0 ? 'MET   ' : 'MISSED'} failures of our server: 0 (is ${ourFailures})`)
  out.push('', '## Relay (two tasks of our server, no load balancer)', '')
  out.push('| transport | rep | direct calls/s | direct p50 / p99 ms | relayed calls/s | relayed p50 / p99 ms | CPU ms/call direct → relayed (both tasks) | note |', '|---|---:|---:|---:|---:|---:|---:|---|')
  for (const r of results.relay) {
    const d = r.direct
    const x = r.relayed
    out.push(
      `| ${r.transport} | ${r.repetition} | ${d ? fixed(d.callsPerSecond) : '–'} | ${d ? `${fixed(d.p50)} / ${fixed(d.p99)}` : '–'} | ${x ? fixed(x.callsPerSecond) : '–'} | ${x ? `${fixed(x.p50)} / ${fixed(x.p99)}` : '–'} | ${d && x ? `${fixed(d.cpuMsPerCall)} → ${fixed(x.cpuMsPerCall)}` : '–'} | ${r.note.replace(/\|/g, '/')} |`,
    )
  }
  const reasons = [...results.measurements, ...results.relay].flatMap((m) => m.reasons.map((reason) => `${'server' in m ? `${m.server} ` : 'relay '}${m.transport}: ${reason}`))
  if (reasons.length > 0) out.push('', '## Failure reasons (first few)', '', ...[...new Set(reasons)].slice(0, 20).map((reason) => `- ${reason}`))
  return `${out.join('\n')}\n`
}
