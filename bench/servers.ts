import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TransportName } from './load/session.js'
import { accepts, freePort } from './ports.js'

/**
 * us: this checkout as it ships; baseline: a build of an earlier commit (bench/baseline.ts); the SDK's
 * reference shapes with its v1 and v2 lines; limit: plain node:http.
 */
export type ServerKind = 'us' | 'baseline' | 'reference-v1' | 'reference-v2' | 'reference-modern' | 'limit'
export const SERVER_KINDS: ServerKind[] = ['us', 'baseline', 'reference-v1', 'reference-v2', 'reference-modern', 'limit']
/** The SDK references of the session transports ("better reference" picks between them). */
export const REFERENCE_KINDS = ['reference-v1', 'reference-v2'] as const satisfies ServerKind[]

/**
 * Whether a server speaks a transport: SDK v2 has no legacy SSE server transport; MCP 2026-07-28 is spoken by
 * us, the SDK v2 modern reference and the limit only (the baseline and the session references predate it).
 */
export function speaks(kind: ServerKind, transport: TransportName): boolean {
  if (transport === 'modern') return kind === 'us' || kind === 'reference-modern' || kind === 'limit'
  return kind !== 'reference-modern' && !(kind === 'reference-v2' && transport === 'sse')
}

/** The one key every server under test accepts; the load generator presents it. */
export const BENCH_KEY_NAME = 'bench'
export const BENCH_SECRET = 'bench-secret-0123456789abcdef'

/** Limits that would otherwise refuse the load itself; the report names them. */
export const RAISED_LIMITS = {
  MCP_MAX_SESSIONS: '1000000',
  MCP_MAX_SESSIONS_PER_KEY: '1000000',
  MCP_RATE_LIMIT_PER_MIN: '1000000000',
  // Every benchmark client uses the one benchmark key: its requests in flight across sessions are the load.
  MCP_MAX_IN_FLIGHT_PER_KEY: '1000000',
  // Stopping a server is not measured: no drain period.
  MCP_DRAIN_MS: '0',
}

const START_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 5_000

export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('package.json not found above the benchmark')
    dir = parent
  }
  return dir
}

/** The compiled entry point of each server of this checkout: what ships, and the comparison servers. */
export function entryPoint(kind: Exclude<ServerKind, 'baseline'>): string {
  const root = projectRoot()
  const file = kind === 'us' ? 'dist/app/main.js' : `dist/bench/servers/${kind}.js`
  const path = join(root, file)
  if (!existsSync(path)) throw new Error(`${file} is missing: build first (npx tsc -p tsconfig.json)`)
  return path
}

const lastLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' / ') || '(empty)'

export interface RunningProcess {
  pid: number
  port: number
  stop(): Promise<void>
}

export interface RunningServer extends RunningProcess {
  kind: ServerKind
  url: string
}

export interface StartOptions {
  /** Where the server's stdout and stderr go (its log file). */
  logFile: string
  /** Extra environment, e.g. a shared MCP_SESSION_SECRET for the relay pair. */
  env?: Record<string, string>
  /** Options for node itself, e.g. --cpu-prof when profiling. */
  nodeArgs?: string[]
  /** The script to run, when not this checkout's (the baseline's build). */
  entry?: string
}

/**
 * Servers still running. Should the benchmark itself end early (an error, Ctrl-C, a test runner's
 * timeout), they are killed by pid on the way out rather than left behind.
 */
const running = new Set<ChildProcess>()
let exitHooked = false

function killLeftoversOnExit(): void {
  if (exitHooked) return
  exitHooked = true
  process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')))
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)))
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Stops a process this benchmark started, by its pid: SIGTERM, then SIGKILL when it does not exit in time. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = exited(child)
  process.kill(child.pid!, 'SIGTERM')
  const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const)
  if ((await Promise.race([gone.then(() => 'gone' as const), timer])) === 'timeout') {
    process.kill(child.pid!, 'SIGKILL')
    await gone
  }
}

/**
 * Starts a node script as a process of its own (output to `logFile`) and waits until `port`, which the script
 * is told through its environment, accepts connections; stopped by its pid.
 */
export async function startProcess(what: string, args: string[], env: Record<string, string>, port: number, logFile: string): Promise<RunningProcess> {
  const log = openSync(logFile, 'a')
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', log, log] })
  closeSync(log)
  killLeftoversOnExit()
  running.add(child)
  child.once('exit', () => running.delete(child))
  const stop = () => stopChild(child)
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      // The log's directory is removed when the run ends, so its last lines go into the error itself.
      throw new Error(`${what} did not start on port ${port} (log: ${logFile}; it ends: ${lastLines(logFile)})`)
    }
    await sleep(50)
  }
  return { pid: child.pid!, port, stop }
}

const COMPANION_TIMEOUT_MS = 10_000

/** A JSON document from a process the benchmark started (what an authorization server or the OTLP sink says of itself). */
export async function getJson(url: string): Promise<any> {
  const response = await fetch(url, { signal: AbortSignal.timeout(COMPANION_TIMEOUT_MS) })
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`)
  return response.json()
}

/** What every server the benchmark starts is told, whatever serves it: production mode, the benchmark key, the raised limits. */
const BENCH_SETTINGS = { NODE_ENV: 'production', MCP_API_KEYS: `${BENCH_KEY_NAME}:${BENCH_SECRET}`, ...RAISED_LIMITS }

/** Starts one server as a node process of its own and waits until its port accepts connections. */
export async function startServer(kind: ServerKind, options: StartOptions): Promise<RunningServer> {
  const port = await freePort()
  const entry = options.entry ?? (kind === 'baseline' ? undefined : entryPoint(kind))
  if (!entry) throw new Error(`no entry point given for the ${kind} server`)
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    // Our server's second listener, for sessions relayed from other tasks; never the shared default.
    MCP_PEER_PORT: String(await freePort()),
    ...BENCH_SETTINGS,
    ...options.env,
  }
  const started = await startProcess(`${kind} server`, [...(options.nodeArgs ?? []), entry], env, port, options.logFile)
  return { kind, ...started, url: `http://127.0.0.1:${port}` }
}

/** The handlers the stand-in runs: ours, or one that answers every call with a canned whoami result (lambda-canned.ts). */
const LAMBDA_HANDLERS = { ours: 'dist/app/lambda.js', canned: 'dist/bench/servers/lambda-canned.js' }

/**
 * A Lambda handler (ours, dist/app/lambda.js, unless told otherwise) loaded by the stand-in of Lambda's streaming
 * runtime (bench/servers/lambda-stand-in.ts) behind its function URL shim on a loopback port, with the benchmark
 * key: one invocation at a time, as a function instance serves them.
 */
export async function startLambdaStandIn(logFile: string, handler: keyof typeof LAMBDA_HANDLERS = 'ours'): Promise<RunningProcess & { url: string }> {
  const port = await freePort()
  const root = projectRoot()
  const args = [join(root, 'dist/bench/servers/lambda-stand-in.js'), join(root, LAMBDA_HANDLERS[handler]), '--port', String(port)]
  const started = await startProcess('Lambda stand-in', args, BENCH_SETTINGS, port, logFile)
  return { ...started, url: `http://127.0.0.1:${port}` }
}
