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
import { BENCH_TOKEN_PRINCIPAL, mintBenchTokens, oauthEnvironment, startAuthorizationServer, type AuthorizationServer } from './authorization-server.js'
import { TRACING_SAMPLERS, startOtlpSink, tracingEnvironment, type OtlpSink, type TracingSampler } from './otlp-sink.js'
import { BENCH_KEY_NAME, BENCH_SECRET, SERVER_KINDS, speaks, startLambdaStandIn, startServer, type RunningProcess, type RunningServer, type ServerKind } from './servers.js'
import { percentile } from './stats.js'

export type Figures = Record<string, number>

/** One test of one kind of server, each run on a freshly started process. */
export interface Measurement {
  repetition: number
  transport: TransportName
  test: string
  server: ServerKind
  /** The processes measured: one, or one per round of a calls test beside the baseline. */
  pids: number[]
  figures: Figures
  failures: number
  reasons: string[]
}

/**
 * Our server with something turned on, through the calls test at the larger level, run right after its key run
 * of the same repetition (the run it is paired with), beside a companion process of its own.
 */
export interface VariantRun {
  repetition: number
  transport: TransportName
  /** Our server's, then its companion's. */
  pids: number[]
  figures: Figures
  /** What the companion counted of our server's requests: once our server had started, and after the last call. */
  counted: { started: number; afterCalls: number }
  /** For a variant that changes who calls (tokens): the key's figures on the same server, in alternating phases. */
  sameServerKey?: Figures
  failures: number
  reasons: string[]
}

/** With OAuth on, calling with access tokens instead of the key (issue 24); counted: the times the authorization server served its key set. */
export type TokenMeasurement = VariantRun

/**
 * MCP 2026-07-28 requests against calls on a 2025 session (issue 26): on one server of ours, the requests and as
 * many Streamable HTTP sessions calling in turns; then through the Lambda handler under the stand-in runtime.
 */
export interface RequestScopedRun {
  repetition: number
  /** Our server's, then the stand-ins' (our handler's, the canned one's). */
  pids: number[]
  /** 2025 Streamable HTTP sessions calling on our server, in turns with `container`. */
  session: Figures
  /** MCP 2026-07-28 clients calling on that same server. */
  container: Figures
  /** MCP 2026-07-28 clients calling the Lambda handler through the stand-in (one invocation at a time). */
  handler: Figures
  /** The same clients on the stand-in running a handler that answers with a canned result, in turns with `handler`. */
  standInAlone: Figures
  failures: number
  reasons: string[]
}

/** With tracing on, exporting to an OTLP sink (issue 25); counted: the trace export requests the sink took. */
export interface TracingMeasurement extends VariantRun {
  sampler: TracingSampler
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
  /** Our server with tracing on, each sampler, at the larger level, beside the same repetition's key figures (tracing off). */
  tracing: TracingMeasurement[]
  /** MCP 2026-07-28 requests against 2025 session calls: in the container and through the Lambda handler. */
  requestScoped: RequestScopedRun[]
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

/** A process the calls tests can measure: its pid (for its CPU) and the URL it serves. */
type Measured = Pick<RunningServer, 'pid' | 'url'>

const targetOf = (server: Measured): Target => ({ url: server.url, secret: BENCH_SECRET, principal: BENCH_KEY_NAME })

const closeAll = (sessions: BenchSession[]) => sessions.forEach((session) => session.close())

/** The figures of a calls test: its calls' latencies over `seconds`, and the server CPU they took. */
function callFigures(sessions: number, latencies: number[], seconds: number, cpu: number): Figures {
  return {
    [figureNames.calls(sessions)]: latencies.length / seconds,
    [figureNames.p50(sessions)]: percentile(latencies, 0.5),
    [figureNames.p99(sessions)]: percentile(latencies, 0.99),
    [figureNames.cpu(sessions)]: cpu / latencies.length,
  }
}

/** `sessions` sessions call the tool back to back; server CPU is read around the measured window only. */
async function callTest(server: Measured, transport: TransportName, sessions: number, profile: Profile, failures: Failures): Promise<Figures> {
  const opened = await establish(transport, targetOf(server), sessions, profile.concurrency, failures)
  try {
    await callBackToBack(opened.sessions, profile.warmupMs, failures)
    const cpuBefore = cpuMs(server.pid)
    const { latencies, seconds } = await callBackToBack(opened.sessions, profile.callMs, failures)
    return callFigures(sessions, latencies, seconds, cpuMs(server.pid) - cpuBefore)
  } finally {
    closeAll(opened.sessions)
  }
}

/**
 * The calls test twice at once: `sessions` sessions of each side, calling in turns (phases of
 * `callMs / ALTERNATING_PHASES` each, the order flipped every phase) until each has called for `callMs`; each
 * side's CPU is read on its own server (both sides may call one server). Whatever drifts on a shared machine
 * weighs on both sides alike, and so does what differs between two processes of the same build (CPU per call
 * moved by up to 20 % from one process to the next).
 */
export const ALTERNATING_PHASES = 6

/** Who calls on one side of an alternating test, and how. */
interface Side {
  transport: TransportName
  target: Target | ((index: number) => Target)
  /** The server the side calls, whose CPU its figures count. */
  server: Measured
  /** Where the side's failed sessions and calls are counted (the sides may share one). */
  failures: Failures
}

async function alternatingCallTest(sides: [Side, Side], sessions: number, profile: Profile): Promise<[Figures, Figures]> {
  const opened: BenchSession[][] = []
  try {
    for (const { transport, target, failures } of sides) opened.push((await establish(transport, target, sessions, profile.concurrency, failures)).sessions)
    const runs = opened.map((sessions, index) => ({ sessions, ...sides[index], latencies: [] as number[], seconds: 0, cpu: 0 }))
    for (const run of runs) await callBackToBack(run.sessions, profile.warmupMs, run.failures)
    for (let phase = 0; phase < ALTERNATING_PHASES; phase++) {
      for (const run of phase % 2 === 0 ? runs : [...runs].reverse()) {
        const cpuBefore = cpuMs(run.server.pid)
        const { latencies, seconds } = await callBackToBack(run.sessions, profile.callMs / ALTERNATING_PHASES, run.failures)
        run.cpu += cpuMs(run.server.pid) - cpuBefore
        run.latencies = run.latencies.concat(latencies)
        run.seconds += seconds
      }
    }
    const [first, second] = runs.map((run) => callFigures(sessions, run.latencies, run.seconds, run.cpu))
    return [first, second]
  } finally {
    closeAll(opened.flat())
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

/** How our server is run differently from its key run, and the companion process that makes the difference. */
interface Variant<Companion extends RunningProcess> {
  /** In the progress lines. */
  label: string
  /** In the log files' names. */
  slug: string
  startCompanion(logFile: string): Promise<Companion>
  /** Our server's environment beside the companion. */
  env(companion: Companion): Record<string, string>
  /** What the companion has counted of our server's requests so far. */
  count(companion: Companion): Promise<number>
  /** What `count` counts, in the progress lines. */
  counts: string
  /** Who each session is when not the benchmark key: then the key calls on the same server too (alternatingCallTest). */
  targets?(companion: Companion, server: RunningServer, sessions: number): Promise<(index: number) => Target>
}

/**
 * The calls test at `sessions` on our server run as `variant` says: a fresh companion process first, then our
 * server, both stopped by pid (our server first). The companion's count is read once our server has started and
 * after the last call, so the report can show what our server asked of it while the sessions opened and called.
 * A variant with callers of its own has them take turns with the key's on that server.
 */
async function variantTest<Companion extends RunningProcess>(variant: Variant<Companion>, repetition: number, transport: TransportName, sessions: number, profile: Profile, logDir: string): Promise<VariantRun> {
  const logFile = (who: string) => join(logDir, `${repetition}-${transport}-${variant.slug}-${who}.log`)
  const companion = await variant.startCompanion(logFile('companion'))
  try {
    const server = await startServer('us', { logFile: logFile('us'), env: variant.env(companion) })
    try {
      const callers = await variant.targets?.(companion, server, sessions)
      const failures = new Failures()
      const started = await variant.count(companion)
      const [figures, sameServerKey] = callers
        ? await alternatingCallTest([{ transport, target: callers, server, failures }, { transport, target: targetOf(server), server, failures }], sessions, profile)
        : [await callTest(server, transport, sessions, profile, failures), undefined]
      const counted = { started, afterCalls: await variant.count(companion) }
      return { repetition, transport, pids: [server.pid, companion.pid], figures, sameServerKey, counted, failures: failures.count, reasons: failures.reasons }
    } finally {
      await server.stop()
    }
  } finally {
    await companion.stop()
  }
}

/**
 * OAuth access tokens instead of the key: an authorization server process and our server with OAuth on against
 * it; each session presents a token of its own (its own client, one subject), minted before the sessions open.
 * The first call of a token verifies its signature (while opening); every later one is a cache hit. As many
 * sessions with the key call on the same server, in turns with the tokens' (alternatingCallTest). The
 * authorization server counts the times it served its key set, so the report can show that none was fetched
 * while the sessions opened and called.
 */
const TOKENS: Variant<AuthorizationServer> = {
  label: 'with OAuth tokens',
  slug: 'us-oauth',
  startCompanion: startAuthorizationServer,
  env: (authorizationServer) => oauthEnvironment(authorizationServer.issuer),
  count: (authorizationServer) => authorizationServer.jwksServed(),
  counts: 'JWKS served',
  async targets(authorizationServer, server, sessions) {
    const tokens = await mintBenchTokens(authorizationServer.issuer, sessions)
    return (index) => ({ url: server.url, secret: tokens[index], principal: BENCH_TOKEN_PRINCIPAL })
  },
}

/**
 * Tracing on with `sampler`, exporting to an OTLP sink process (so that taking the exports costs neither our
 * server nor the load generator); the sink counts the trace export requests, which shows spans really left.
 */
const tracing = (sampler: TracingSampler, profile: Profile): Variant<OtlpSink> => ({
  label: `with tracing on, ${sampler}`,
  slug: `us-tracing-${sampler.replace(/\W+/g, '-')}`,
  startCompanion: startOtlpSink,
  env: (sink) => tracingEnvironment(sink, sampler, profile.spanExportDelayMs),
  count: async (sink) => (await sink.exports()).traces,
  counts: 'trace exports',
})

/** The runs of our server that follow its key run at the larger level: with tokens, then with tracing on, each sampler. */
async function variantRuns(repetition: number, transport: TransportName, profile: Profile, logDir: string, into: Pick<RunResults, 'tokens' | 'tracing'>, progress: (line: string) => void): Promise<void> {
  const sessions = profile.levels[1]
  const report = ({ label, counts }: Variant<RunningProcess>, run: VariantRun) =>
    progress(`rep ${repetition} ${transport} ${pairedPlanName(profile)} us ${label}: ${describe(run.figures)}, ${counts} ${run.counted.started} → ${run.counted.afterCalls}${run.failures ? ` FAILURES ${run.failures}` : ''}`)
  const tokens = await variantTest(TOKENS, repetition, transport, sessions, profile, logDir)
  into.tokens.push(tokens)
  report(TOKENS, tokens)
  for (const sampler of Object.keys(TRACING_SAMPLERS) as TracingSampler[]) {
    const variant = tracing(sampler, profile)
    const run = await variantTest(variant, repetition, transport, sessions, profile, logDir)
    into.tracing.push({ ...run, sampler })
    report(variant, run)
  }
}

/**
 * A request-scoped call against a session call: `levels[1]` MCP 2026-07-28 clients and as many 2025 Streamable
 * HTTP sessions on one fresh server of ours, in turns (alternatingCallTest); then `levels[0]` MCP 2026-07-28
 * clients on the Lambda handler under the stand-in, which serves one invocation at a time (the others wait), so
 * its CPU per call counts the stand-in's function URL shim and runtime too. In turns with those, as many clients
 * on a second stand-in whose handler answers with a canned result: what the stand-in costs by itself.
 */
async function requestScopedRun(repetition: number, profile: Profile, logDir: string): Promise<RequestScopedRun> {
  const failures = new Failures()
  const server = await startServer('us', { logFile: join(logDir, `${repetition}-request-scoped-us.log`) })
  let session: Figures, container: Figures
  try {
    ;[session, container] = await alternatingCallTest([{ transport: 'streamable-http', target: targetOf(server), server, failures }, { transport: 'modern', target: targetOf(server), server, failures }], profile.levels[1], profile)
  } finally {
    await server.stop()
  }
  const standIns = [await startLambdaStandIn(join(logDir, `${repetition}-request-scoped-lambda.log`))]
  try {
    standIns.push(await startLambdaStandIn(join(logDir, `${repetition}-request-scoped-lambda-canned.log`), 'canned'))
    const [ours, canned] = standIns
    const side = (standIn: Measured): Side => ({ transport: 'modern', target: targetOf(standIn), server: standIn, failures })
    const [handler, standInAlone] = await alternatingCallTest([side(ours), side(canned)], profile.levels[0], profile)
    return { repetition, pids: [server.pid, ours.pid, canned.pid], session, container, handler, standInAlone, failures: failures.count, reasons: failures.reasons }
  } finally {
    await Promise.all(standIns.map((standIn) => standIn.stop()))
  }
}

/** The test our server is also run with variants of right after: the calls at the larger level. */
const pairedPlanName = (profile: Profile) => `calls @${profile.levels[1]}`

interface TestPlan {
  name: string
  /** The sessions of a calls test: with a baseline, ours and the baseline's call in turns at this level. */
  callers?: number
  run(server: RunningServer, transport: TransportName, profile: Profile, failures: Failures): Promise<Figures>
}

/** The calls test at `callers` sessions. */
const callsPlan = (callers: number): TestPlan => ({ name: `calls @${callers}`, callers, run: (server, transport, p, failures) => callTest(server, transport, callers, p, failures) })

/** The tests of a transport: calls at both levels; idle sessions where there are sessions (not on MCP 2026-07-28). */
function plans(profile: Profile, transport: TransportName): TestPlan[] {
  return [...profile.levels.map(callsPlan), ...(transport === 'modern' ? [] : [{ name: `idle ${profile.idleSessions}`, run: idleTest }])]
}

/** The servers of a transport in this run: the baseline only when built, each reference where it speaks the transport. */
export const lineup = (transport: TransportName, withBaseline: boolean) =>
  SERVER_KINDS.filter((kind) => speaks(kind, transport) && (kind !== 'baseline' || withBaseline))

/** The servers in an order that turns with every test, so none is always first or last. */
const rotated = (kinds: ServerKind[], turn: number) => kinds.map((_, index) => kinds[(index + turn) % kinds.length])

/** The figures of one server over the rounds of a test: the mean of each figure. */
function meanFigures(rounds: Figures[]): Figures {
  return Object.fromEntries(Object.keys(rounds[0]).map((name) => [name, rounds.reduce((sum, figures) => sum + figures[name], 0) / rounds.length]))
}

/**
 * A calls test of ours and the baseline's at once, in turns (alternatingCallTest): a baseline within a few per
 * cent is a verdict that runs one after the other cannot give on a shared machine, where one build's CPU per call
 * measured 0.063 to 0.113 ms in runs minutes apart. Two rounds, each on two freshly started servers, each server
 * starting first once: of two processes of one build called in turns, the one started first often cost more
 * (in one full run ours came out ≈ 10 % dearer against the baseline when it started first), so one order alone
 * would favour a side. Each server's figures are the mean of its two rounds.
 */
async function callsBesideBaseline(baseline: Baseline, test: string, callers: number, repetition: number, transport: TransportName, profile: Profile, logDir: string): Promise<Measurement[]> {
  const rounds: { kind: ServerKind; pid: number; figures: Figures; failures: Failures }[] = []
  for (const kinds of [['us', 'baseline'], ['baseline', 'us']] satisfies ServerKind[][]) {
    const servers: RunningServer[] = []
    try {
      for (const kind of kinds) {
        servers.push(await startServer(kind, { logFile: join(logDir, `${repetition}-${transport}-${test.replace(/\W+/g, '-')}-${kinds[0]}-first-${kind}.log`), entry: kind === 'baseline' ? baseline.entry : undefined }))
      }
      const sides = servers.map((server) => ({ transport, target: targetOf(server), server, failures: new Failures() }))
      const figures = await alternatingCallTest([sides[0], sides[1]], callers, profile)
      kinds.forEach((kind, index) => rounds.push({ kind, pid: servers[index].pid, figures: figures[index], failures: sides[index].failures }))
    } finally {
      await Promise.all(servers.map((server) => server.stop()))
    }
  }
  return (['us', 'baseline'] as const).map((kind) => {
    const own = rounds.filter((round) => round.kind === kind)
    const failures = own.reduce((sum, round) => sum + round.failures.count, 0)
    return { repetition, transport, test, server: kind, pids: own.map((round) => round.pid), figures: meanFigures(own.map((round) => round.figures)), failures, reasons: own.flatMap((round) => round.failures.reasons) }
  })
}

/**
 * The whole benchmark: for each repetition, transport and test, the transport's servers one after another,
 * each freshly started (with a baseline, ours and the baseline's calls tests run at once, in turns), then the
 * relay pair. Each server's log goes to a file in a temporary directory.
 */
export async function runBenchmark(profile: Profile, progress: (line: string) => void = () => {}, options: RunOptions = {}): Promise<RunResults> {
  const { baseline } = options
  const logDir = mkdtempSync(join(tmpdir(), 'mcp-bench-'))
  const measurements: Measurement[] = []
  const relay: RelayResult[] = []
  const variants: Pick<RunResults, 'tokens' | 'tracing'> = { tokens: [], tracing: [] }
  const neverReading: NeverReadingResult[] = []
  const heavyInput: HeavyInputResult[] = []
  const requestScoped: RequestScopedRun[] = []
  const reported = (measurement: Measurement) => {
    measurements.push(measurement)
    progress(`rep ${measurement.repetition} ${measurement.transport} ${measurement.test} ${measurement.server}: ${describe(measurement.figures)}${measurement.failures ? ` FAILURES ${measurement.failures}` : ''}`)
  }
  let turn = 0
  try {
    for (let repetition = 1; repetition <= profile.repetitions; repetition++) {
      for (const transport of CALL_TRANSPORTS) {
        for (const plan of plans(profile, transport)) {
          const beside = baseline && plan.callers !== undefined && speaks('baseline', transport) ? { baseline, callers: plan.callers } : undefined
          // Beside the baseline, ours takes the baseline's turn with it; alone, each server takes one of its own.
          for (const kind of rotated(lineup(transport, baseline !== undefined && !beside), turn++)) {
            if (beside && kind === 'us') {
              for (const measurement of await callsBesideBaseline(beside.baseline, plan.name, beside.callers, repetition, transport, profile, logDir)) reported(measurement)
            } else {
              const logFile = join(logDir, `${repetition}-${transport}-${kind}.log`)
              const server = await startServer(kind, { logFile, entry: kind === 'baseline' ? baseline?.entry : undefined })
              const failures = new Failures()
              try {
                const figures = await plan.run(server, transport, profile, failures)
                reported({ repetition, transport, test: plan.name, server: kind, pids: [server.pid], figures, failures: failures.count, reasons: failures.reasons })
              } finally {
                await server.stop()
              }
            }
            // Right after our server's run with the key, so that each pair shares the machine's load of the moment.
            if (kind === 'us' && plan.name === pairedPlanName(profile)) await variantRuns(repetition, transport, profile, logDir, variants, progress)
          }
        }
      }
      const scoped = await requestScopedRun(repetition, profile, logDir)
      requestScoped.push(scoped)
      progress(`rep ${repetition} request-scoped: session ${describe(scoped.session)}; MCP 2026-07-28 ${describe(scoped.container)}; Lambda handler ${describe(scoped.handler)}; stand-in alone ${describe(scoped.standInAlone)}${scoped.failures ? ` FAILURES ${scoped.failures}` : ''}`)
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
  return { profile, measurements, relay, ...variants, requestScoped, neverReading, heavyInput, ...(baselineNote && { baseline: baselineNote }) }
}

const describe = (figures: Figures) =>
  Object.entries(figures)
    .map(([name, value]) => `${name} ${value.toFixed(value < 10 ? 2 : 0)}`)
    .join(', ')
