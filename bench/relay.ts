import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Profile } from './profiles.js'
import { Failures, callBackToBack, establish } from './load/scenarios.js'
import type { BenchSession, TransportName } from './load/session.js'
import { cpuMs } from './proc.js'
import { BENCH_KEY_NAME, BENCH_SECRET, startServer, type RunningServer } from './servers.js'
import { percentile } from './stats.js'

export interface RelayFigures {
  callsPerSecond: number
  p50: number
  p99: number
  /** CPU of both tasks together per call. */
  cpuMsPerCall: number
}

export interface RelayResult {
  repetition: number
  transport: TransportName
  pids: number[]
  direct?: RelayFigures
  relayed?: RelayFigures
  failures: number
  reasons: string[]
  note: string
}

async function measure(sessions: BenchSession[], tasks: RunningServer[], durationMs: number, failures: Failures): Promise<RelayFigures> {
  const cpu = () => tasks.reduce((sum, task) => sum + cpuMs(task.pid), 0)
  const before = cpu()
  const { latencies, seconds } = await callBackToBack(sessions, durationMs, failures)
  return {
    callsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpuMsPerCall: (cpu() - before) / latencies.length,
  }
}

/**
 * Two tasks of our server sharing MCP_SESSION_SECRET, no load balancer: sessions live on the owner; the
 * same sessions call first on the owner, then through the other task, which must relay to the owner.
 */
export async function measureRelay(repetition: number, transport: TransportName, profile: Profile, logDir: string): Promise<RelayResult> {
  const env = { MCP_SESSION_SECRET: randomBytes(32).toString('base64url') }
  const owner = await startServer('us', { logFile: join(logDir, `${repetition}-${transport}-relay-owner.log`), env })
  const other = await startServer('us', { logFile: join(logDir, `${repetition}-${transport}-relay-other.log`), env }).catch(async (error) => {
    await owner.stop()
    throw error
  })
  const failures = new Failures()
  const result: RelayResult = { repetition, transport, pids: [owner.pid, other.pid], failures: 0, reasons: [], note: '' }
  const { sessions } = await establish(transport, { url: owner.url, secret: BENCH_SECRET, principal: BENCH_KEY_NAME }, profile.relaySessions, profile.concurrency, failures)
  try {
    result.direct = await measure(sessions, [owner, other], profile.relayMs, failures)
    sessions.forEach((session) => (session.postUrl = other.url))
    const probe = await sessions[0]?.call().then(() => undefined, (error: Error) => error.message)
    if (probe === undefined) {
      result.relayed = await measure(sessions, [owner, other], profile.relayMs, failures)
      result.note = `direct p50 ${result.direct.p50.toFixed(2)} ms, relayed p50 ${result.relayed.p50.toFixed(2)} ms`
    } else {
      result.note = `relay not available in this build (a call through the other task got: ${probe})`
    }
  } finally {
    sessions.forEach((session) => session.close())
    await Promise.all([owner.stop(), other.stop()])
  }
  result.failures = failures.count
  result.reasons = failures.reasons
  return result
}
