import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { accepts, freePort } from '../../bench/ports.js'
import { KEYS } from './server.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

const ROOT = new URL('../../', import.meta.url).pathname
export const MAIN = join(ROOT, 'dist/app/main.js')
export const SESSION_SECRET = 'test-session-secret-0123456789abcdef'

export { freePort }

/**
 * Resolves once something accepts TCP connections on the port; bounded. Given the child that should listen,
 * it fails as soon as that child exits, with what it printed (a start-up problem reads as itself, not as a timeout).
 */
export async function waitForPort(port: number, timeoutMs = 15_000, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await accepts(port)) return
    if (child && !child.running) throw new Error(`exited before listening on port ${port}: ${child.output.trim()}`)
    await sleep(50)
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms${child ? `; it printed: ${child.output.trim()}` : ''}`)
}

// A port freePort found free can be taken before the child binds it (the other tap job asks the OS for
// ports too). A child that says so ("PORT: port … is already in use", redis-server's "Address already in
// use") is started again on new ports; a few tries are plenty.
const PORT_TRIES = 3
const PORT_TAKEN = /already in use/

async function startListening<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start()
    } catch (error) {
      if (attempt >= PORT_TRIES || !PORT_TAKEN.test(String(error))) throw error
    }
  }
}

/** Whether a process with this PID still exists (signal 0 checks without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls until the check passes; bounded in time, returns whether it passed. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(everyMs)
  }
  return check()
}

/** A child process we started, its output kept, stopped by its PID when the test ends. */
export class Child {
  output = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(readonly process: ChildProcess) {
    process.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()))
    process.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()))
    this.exited = new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })))
  }

  get pid(): number {
    return this.process.pid!
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  signal(signal: NodeJS.Signals) {
    if (this.running) process.kill(this.pid, signal)
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  async stop(graceMs = 5_000) {
    if (!this.running) return
    this.signal('SIGTERM')
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }
}

const started = new Set<Child>()
// A test process that dies before its teardown must not leave servers behind: kill ours by PID on exit.
process.once('exit', () => {
  for (const child of started) child.signal('SIGKILL')
})

export function spawnChild(t: Teardown, command: string, args: string[], env: Record<string, string> = {}): Child {
  const child = new Child(spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }))
  started.add(child)
  void child.exited.then(() => started.delete(child))
  t.teardown(() => child.stop(1_000))
  return child
}

export interface Task {
  child: Child
  port: number
  peerPort: number
  url: string
}

// A task listens within a second here, under load too; a CI machine that stalls its disk or CPU for a
// while must not fail a test on that alone, so the bound is generous.
const START_WITHIN_MS = 30_000

/** One server process as ECS would run it: production mode, the shared session secret, its own peer port. */
export async function startTask(t: Teardown, env: Record<string, string> = {}, ports?: { port: number; peerPort: number }): Promise<Task> {
  const start = async () => {
    const port = ports?.port ?? (await freePort())
    const peerPort = ports?.peerPort ?? (await freePort())
    const child = spawnChild(t, process.execPath, [MAIN], {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      MCP_PEER_PORT: String(peerPort),
      MCP_API_KEYS: KEYS,
      MCP_SESSION_SECRET: SESSION_SECRET,
      LOG_LEVEL: 'info',
      ...env,
    })
    await waitForPort(port, START_WITHIN_MS, child)
    // MCP_PEER_PORT=0 turns relaying off: no peer listener to wait for.
    if (env.MCP_PEER_PORT !== '0') await waitForPort(peerPort, START_WITHIN_MS, child)
    return { child, port, peerPort, url: `http://127.0.0.1:${port}` }
  }
  return ports ? start() : startListening(start)
}

/** A real redis-server on a random loopback port, with nothing saved to disk. */
export async function startRedis(t: Teardown, port?: number): Promise<{ child: Child; port: number; url: string }> {
  const start = async () => {
    const redisPort = port ?? (await freePort())
    const child = spawnChild(t, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'])
    await waitForPort(redisPort, undefined, child)
    return { child, port: redisPort, url: `redis://127.0.0.1:${redisPort}` }
  }
  return port === undefined ? startListening(start) : start()
}

/**
 * HAProxy as the stand-in for the ALB: round robin over the tasks, health checks, and optionally the
 * ALB's lb_cookie stickiness (an inserted cookie that only cookie-keeping clients send back). Checking
 * `/ready` instead of `/health` stands in for ECS deregistering a task before it stops it: no new requests
 * reach a draining task. `setHeaders` are set on every request (`http-request set-header`). Its runtime API
 * listens on `socket` (see `haproxyCommand`); task `i` is the server `tasks/t<i>`.
 */
export async function startHaproxy(
  t: Teardown,
  tasks: Task[],
  { sticky = false, check = '/health', idleTimeoutMs = 120_000, setHeaders = {} as Record<string, string> } = {},
): Promise<{ child: Child; url: string; socket: string }> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-'))
  const servers = tasks.map((task, index) => `  server t${index} 127.0.0.1:${task.port} check inter 300ms fall 2 rise 1${sticky ? ` cookie t${index}` : ''}`)
  const config = [
    'global',
    '  maxconn 4096',
    `  stats socket ${join(dir, 'haproxy.sock')} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  option http-no-delay',
    '  timeout connect 2s',
    // Like the ALB's idle timeout: a connection with no bytes either way for this long is cut.
    `  timeout client ${idleTimeoutMs}ms`,
    `  timeout server ${idleTimeoutMs}ms`,
    '  timeout tunnel 1h',
    'frontend alb',
    `  bind 127.0.0.1:${port}`,
    // Headers set on every request on its way to the tasks, e.g. a key for a client that sends none.
    ...Object.entries(setHeaders).map(([name, value]) => `  http-request set-header ${name} "${value}"`),
    '  default_backend tasks',
    'backend tasks',
    '  balance roundrobin',
    `  option httpchk GET ${check}`,
    ...(sticky ? ['  cookie AWSALB insert indirect nocache'] : []),
    ...servers,
    '',
  ].join('\n')
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, config)
  const child = spawnChild(t, 'haproxy', ['-db', '-f', file])
  await waitForPort(port)
  return { child, url: `http://127.0.0.1:${port}`, socket: join(dir, 'haproxy.sock') }
}

/**
 * One command to HAProxy's runtime API over its stats socket (e.g. `set server tasks/t0 state maint`, what
 * deregistering a target is to the ALB); resolves with HAProxy's answer, bounded in time.
 */
export function haproxyCommand(socket: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = ''
    const connection = createConnection(socket, () => connection.end(`${command}\n`))
    connection.setTimeout(timeoutMs, () => connection.destroy(new Error(`haproxy did not answer "${command}" within ${timeoutMs} ms`)))
    connection.on('data', (chunk: Buffer) => (answer += chunk.toString()))
    connection.once('error', reject)
    connection.once('close', () => resolve(answer.trim()))
  })
}

/** The peer address a session id names as its owner (the middle of `v1.<owner>.<nonce>.<mac>`). */
export function ownerOf(sessionId: string): string {
  return Buffer.from(sessionId.split('.')[1], 'base64url').toString()
}

/** Reads one counter's total from a task's /metrics (reachable: loopback, no X-Forwarded-For). */
export async function counter(task: Pick<Task, 'url'>, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${task.url}/metrics`)).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0)
}
