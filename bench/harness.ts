import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Failures, callBackToBack, callEach, establish } from './load/scenarios.js'
import { CALL_TRANSPORTS, TRANSPORTS, type BenchSession, type Target, type TransportName } from './load/session.js'
import { cpuMs, rssKiB } from './proc.js'
import type { Profile } from './profiles.js'
import { measureHeavyInput, type HeavyInputResult } from './heavy-input.js'
import { measureNeverReading, type NeverReadingResult } from './never-reading.js'
import { measureRelay, type RelayResult } from './relay.js'
import type { Baseline } from './baseline.js'
import { BENCH_TOKEN_PRINCIPAL, mintBenchTokens, oauthEnvironment, startAuthorizationServer } from './authorization-server.js'
import { BENCH_KEY_NAME, BENCH_SECRET, SERVER_KINDS, speaks, startServer, type RunningServer, type ServerKind } from './servers.js'
import { percentile } from './stats.js'

export type Figures = Record<string, number>

/** One test on one fresh server. */
export interface Measurement {
  repetition: number
  transport: TransportName
  test: string
  server: ServerKind
  pid: number
  figures: Figures
  failures: number
  reasons: string[]
}

/** Our server with OAuth on, at the larger call level, calling with access tokens instead of the key (issue 24). */
export interface TokenMeasurement {
  repetition: number
  transport: TransportName
  /** Our server's, then the authorization server's. */
  pids: number[]
  figures: Figures
  /** How often the authorization server served its key set: once our server had started, and after the last call. */
  jwksServed: { started: number; afterCalls: number }
  failures: number
  reasons: string[]
}

/** Which earlier build ran as the baseline, or why none did. */
export interface BaselineNote {
  rev: string
  commit?: string
  skipped?: string
}

export interface RunResults {
  profile: Profile
  measurements: Measurement[]
  relay: RelayResult[]
  /** Our server with OAuth on, calling with tokens at the larger level, beside the same repetition's key figures. */
  tokens: TokenMeasurement[]
  /** Our server alone: RSS growth under a client that never reads (issue 12). */
  neverReading: NeverReadingResult[]
  /** Our server alone: RSS growth under one key pushing what it sends (heavy JSON, slow uploads). */
  heavyInput: HeavyInputResult[]
  baseline?: BaselineNote
}

export interface RunOptions {
  /** An earlier build to run beside ours (bench/baseline.ts); without it there is no baseline server. */
  baseline?: Baseline
  /** Said in the report when the baseline was asked for but could not be built. */
  baselineSkipped?: BaselineNote
}

export const figureNames = {
  establish: 'sessions established/s',
  calls: (sessions: number) => `calls/s @${sessions}`,
  p50: (sessions: number) => `p50 ms @${sessions}`,
  p99: (sessions: number) => `p99 ms @${sessions}`,
  cpu: (sessions: number) => `CPU ms/call @${sessions}`,
  openCpu: 'CPU ms/session opened',
  idle: 'KiB/idle session',
  baseRss: `RSS MiB before the idle sessions`,
}

const targetOf = (server: RunningServer): Target => ({ url: server.url, secret: BENCH_SECRET, principal: BENCH_KEY_NAME })

const closeAll = (sessions: BenchSession[]) => sessions.forEach((session) => session.close())

/** `sessions` sessions call the tool back to back; server CPU is read around the measured window only. */
async function callTest(server: RunningServer, transport: TransportName, sessions: number, profile: Profile, failures: Failures, target: Target | ((index: number) => Target) = targetOf(server)): Promise<Figures> {
  const opened = await establish(transport, target, sessions, profile.concurrency, failures)
  try {
    await callBackToBack(opened.sessions, profile.warmupMs, failures)
    const cpuBefore = cpuMs(server.pid)
    const { latencies, seconds } = await callBackToBack(opened.sessions, profile.callMs, failures)
    const cpu = cpuMs(server.pid) - cpuBefore
    return {
      [figureNames.calls(sessions)]: latencies.length / seconds,
      [figureNames.p50(sessions)]: percentile(latencies, 0.5),
      [figureNames.p99(sessions)]: percentile(latencies, 0.99),
      [figureNames.cpu(sessions)]: cpu / latencies.length,
    }
  } finally {
    closeAll(opened.sessions)
  }
}

/** Opens many sessions, drops their idle POST connections, holds their streams, then checks each answers. */
async function idleTest(server: RunningServer, transport: TransportName, profile: Profile, failures: Failures): Promise<Figures> {
  const target = targetOf(server)
  const baseline = await establish(transport, target, profile.baselineSessions, profile.concurrency, failures)
  await callEach(baseline.sessions, profile.concurrency, failures)
  await sleep(profile.settleMs)
  const rssBefore = rssKiB(server.pid)
  const cpuBefore = cpuMs(server.pid)
  const held = await establish(transport, target, profile.idleSessions, profile.concurrency, failures)
  const openCpu = cpuMs(server.pid) - cpuBefore
  try {
    held.sessions.forEach((session) => session.dropIdleConnection())
    await sleep(profile.settleMs)
    const rssAfter = rssKiB(server.pid)
    await callEach(held.sessions, profile.concurrency, failures)
    return {
      [figureNames.establish]: held.perSecond,
      [figureNames.openCpu]: openCpu / held.sessions.length,
      [figureNames.idle]: (rssAfter - rssBefore) / held.sessions.length,
      [figureNames.baseRss]: rssBefore / 1024,
    }
  } finally {
    closeAll([...baseline.sessions, ...held.sessions])
  }
}

/**
 * The calls test with OAuth access tokens instead of the key: a fresh authorization server process and our server
 * with OAuth on against it; each session presents a token of its own (its own client, one subject), minted
 * before the sessions open. The first call of a token verifies its signature (while opening); every later one is a
 * cache hit. The authorization server counts the times it served its key set, so the report can show that none
 * was fetched while the sessions opened and called.
 */
async function tokenTest(repetition: number, transport: TransportName, sessions: number, profile: Profile, logDir: string): Promise<TokenMeasurement> {
  const authorizationServer = await startAuthorizationServer(join(logDir, `${repetition}-${transport}-authorization-server.log`))
  try {
    const server = await startServer('us', { logFile: join(logDir, `${repetition}-${transport}-us-oauth.log`), env: oauthEnvironment(authorizationServer.issuer) })
    try {
      const tokens = await mintBenchTokens(authorizationServer.issuer, sessions)
      const failures = new Failures()
      const started = await authorizationServer.jwksServed()
      const figures = await callTest(server, transport, sessions, profile, failures, (index) => ({ url: server.url, secret: tokens[index], principal: BENCH_TOKEN_PRINCIPAL }))
      const jwksServed = { started, afterCalls: await authorizationServer.jwksServed() }
      return { repetition, transport, pids: [server.pid, authorizationServer.pid], figures, jwksServed, failures: failures.count, reasons: failures.reasons }
    } finally {
      await server.stop()
    }
  } finally {
    await authorizationServer.stop()
  }
}

/** The test that is also run with tokens: the calls at the larger level. */
const tokenPlanName = (profile: Profile) => `calls @${profile.levels[1]}`

interface TestPlan {
  name: string
  run(server: RunningServer, transport: TransportName, profile: Profile, failures: Failures): Promise<Figures>
}

/** The tests of a transport: calls at both levels; idle sessions where there are sessions (not on MCP 2026-07-28). */
function plans(profile: Profile, transport: TransportName): TestPlan[] {
  const [low, high] = profile.levels
  return [
    { name: `calls @${low}`, run: (server, transport, p, failures) => callTest(server, transport, low, p, failures) },
    { name: tokenPlanName(profile), run: (server, transport, p, failures) => callTest(server, transport, high, p, failures) },
    ...(transport === 'modern' ? [] : [{ name: `idle ${profile.idleSessions}`, run: idleTest }]),
  ]
}

/** The servers of a transport in this run: the baseline only when built, each reference where it speaks the transport. */
export const lineup = (transport: TransportName, withBaseline: boolean) =>
  SERVER_KINDS.filter((kind) => speaks(kind, transport) && (kind !== 'baseline' || withBaseline))

/** The servers in an order that turns with every test, so none is always first or last. */
const rotated = (kinds: ServerKind[], turn: number) => kinds.map((_, index) => kinds[(index + turn) % kinds.length])

/**
 * The whole benchmark: for each repetition, transport and test, the transport's servers one after another,
 * each freshly started, then the relay pair. Each server's log goes to a file in a temporary directory.
 */
export async function runBenchmark(profile: Profile, progress: (line: string) => void = () => {}, options: RunOptions = {}): Promise<RunResults> {
  const { baseline } = options
  const logDir = mkdtempSync(join(tmpdir(), 'mcp-bench-'))
  const measurements: Measurement[] = []
  const relay: RelayResult[] = []
  const tokens: TokenMeasurement[] = []
  const neverReading: NeverReadingResult[] = []
  const heavyInput: HeavyInputResult[] = []
  let turn = 0
  try {
    for (let repetition = 1; repetition <= profile.repetitions; repetition++) {
      for (const transport of CALL_TRANSPORTS) {
        for (const plan of plans(profile, transport)) {
          for (const kind of rotated(lineup(transport, baseline !== undefined), turn++)) {
            const logFile = join(logDir, `${repetition}-${transport}-${kind}.log`)
            const server = await startServer(kind, { logFile, entry: kind === 'baseline' ? baseline?.entry : undefined })
            const failures = new Failures()
            try {
              const figures = await plan.run(server, transport, profile, failures)
              measurements.push({ repetition, transport, test: plan.name, server: kind, pid: server.pid, figures, failures: failures.count, reasons: failures.reasons })
              progress(`rep ${repetition} ${transport} ${plan.name} ${kind}: ${describe(figures)}${failures.count ? ` FAILURES ${failures.count}` : ''}`)
            } finally {
              await server.stop()
            }
            // Right after our server's run with the key, so that the pair shares the machine's load of the moment.
            if (kind === 'us' && plan.name === tokenPlanName(profile)) {
              const measured = await tokenTest(repetition, transport, profile.levels[1], profile, logDir)
              tokens.push(measured)
              progress(`rep ${repetition} ${transport} ${plan.name} us with OAuth tokens: ${describe(measured.figures)}, JWKS served ${measured.jwksServed.started} → ${measured.jwksServed.afterCalls}${measured.failures ? ` FAILURES ${measured.failures}` : ''}`)
            }
          }
        }
      }
      for (const transport of TRANSPORTS) {
        const result = await measureRelay(repetition, transport, profile, logDir)
        relay.push(result)
        progress(`rep ${repetition} ${transport} relay: ${result.note}`)
        const pushed = await measureNeverReading(repetition, transport, profile, logDir)
        neverReading.push(pushed)
        progress(`rep ${repetition} ${transport} never-reading client: ${pushed.answers} answers of 1 MiB, RSS +${pushed.growthMiB.toFixed(1)} MiB${pushed.failures ? ` FAILURES ${pushed.reasons.join('; ')}` : ''}`)
      }
      for (const pushed of await measureHeavyInput(repetition, logDir)) {
        heavyInput.push(pushed)
        progress(`rep ${repetition} heavy input, ${pushed.push}: ${pushed.held} held, ${pushed.refused}, RSS +${pushed.growthMiB.toFixed(1)} MiB${pushed.failures ? ` FAILURES ${pushed.reasons.join('; ')}` : ''}`)
      }
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true })
  }
  const baselineNote = baseline ? { rev: baseline.rev, commit: baseline.commit } : options.baselineSkipped
  return { profile, measurements, relay, tokens, neverReading, heavyInput, ...(baselineNote && { baseline: baselineNote }) }
}

const describe = (figures: Figures) =>
  Object.entries(figures)
    .map(([name, value]) => `${name} ${value.toFixed(value < 10 ? 2 : 0)}`)
    .join(', ')
