import t from 'tap'
import { SdkHttpError, type Client } from '@modelcontextprotocol/client'
import { ensureBuilt } from '../helpers/build.js'
import { counter, eventually, haproxyCommand, ownerOf, spawnChild, startHaproxy, startTask, type Task } from '../helpers/processes.js'
import { ALICE, connect, resultJson, type TransportName } from '../helpers/server.js'
import { devDependencyBin } from '../clients/bins.js'
import { startBridge } from '../clients/mcp-remote.js'

ensureBuilt()

// The stop sequence as ECS runs it for a task behind an ALB (README, "Stopping"), scaled down: the target is
// deregistered (HAProxy MAINT: no new request reaches it, sticky or not), the deregistration delay passes,
// the balancer closes what is still open (`shutdown sessions server`), then SIGTERM, the drain and exit 0.
// Real clients call through it all; the figures (calls lost, time to recover) are the README's.
const DEREGISTRATION_DELAY_MS = 2_000
const DRAIN_MS = 1_500
/** Steady calls after the task exited, so that every client has had its chance to recover. */
const AFTER_EXIT_MS = 4_000
const PAUSE_MS = 100
const MAX_CALLS_PER_CLIENT = 500
const CALL_TIMEOUT_MS = 5_000
/** Re-initializations one call may take (the clients' retry policy: on 404 or stream end, re-initialize, resend). */
const MAX_ATTEMPTS = 3
const INSPECTOR_TIMEOUT_MS = 60_000
const BACKEND = 'tasks'

/** One open session of a client, and when its stream or connection ended (if it did). */
interface Session {
  client: Client
  ended: Promise<number>
}

interface Measured {
  name: string
  open: () => Promise<Session>
  session: Session
  ok: number
  /** Calls that failed for good, after the retry policy. */
  lost: number
  /** Calls that succeeded only after re-initializing. */
  resent: number
  /** When this client first saw its session cut (stream end, 404, any failed call). */
  cutAt?: number
  /** The first successful call after that. */
  recoveredAt?: number
  errors: string[]
}

const whoami = async (client: Client) => resultJson(await client.callTool({ name: 'whoami', arguments: {} }, { timeout: CALL_TIMEOUT_MS }))
/** Ends a session as a well-behaved client does: a Streamable HTTP session is deleted (DELETE /mcp), then closed. */
async function release(session: Session) {
  const transport = session.client.transport as { terminateSession?: () => Promise<void> } | undefined
  await transport?.terminateSession?.().catch(() => {})
  await session.client.close().catch(() => {})
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/**
 * The session is gone: a 404, as the SDK reports it (`status` of SdkHttpError for Streamable HTTP, in the message for SSE and
 * through mcp-remote), or mcp-remote's own word for its remote stream ending under a call.
 */
const sessionGone = (error: unknown) =>
  (error instanceof SdkHttpError && error.status === 404) || /HTTP 404|Session not found|connection to the remote server dropped/i.test(String(error))

t.test('stop sequence as ECS runs it: deregister (MAINT), delay, close what is open, SIGTERM, drain, exit', { timeout: 300_000 }, async (t) => {
  const env = { MCP_DRAIN_MS: String(DRAIN_MS), MCP_RATE_LIMIT_PER_MIN: '1000000' }
  const tasks: Task[] = []
  for (let i = 0; i < 3; i++) tasks.push(await startTask(t, env))
  // The ALB checks /health (README: readiness must never make ECS replace tasks); deregistration is MAINT.
  const alb = await startHaproxy(t, tasks)
  const ownerTask = (client: Client) => whoami(client).then(({ sessionId }) => tasks.findIndex((task) => ownerOf(sessionId) === `127.0.0.1:${task.peerPort}`))

  const sdkSession = async (transport: TransportName): Promise<Session> => {
    const client = await connect(t, alb.url, ALICE, transport)
    // A legacy SSE session lives as long as its stream: an error on it is its end (the SDK's EventSource would
    // reconnect to a new, uninitialized session). A Streamable HTTP session outlives its streams: only a close ends it.
    const ended = new Promise<number>((resolve) => {
      client.onclose = () => resolve(Date.now())
      if (transport === 'sse') client.onerror = () => resolve(Date.now())
    })
    return { client, ended }
  }
  const bridgeSession = async (): Promise<Session> => {
    const { client, transport } = await startBridge(t, `${alb.url}/sse`, ALICE)
    await client.connect(transport)
    // mcp-remote closes its stdio side when its remote stream closes: the host sees the bridge end.
    return { client, ended: new Promise<number>((resolve) => (client.onclose = () => resolve(Date.now()))) }
  }

  // The task to stop: the one mcp-remote's session landed on; then an SDK client of each transport there, and one elsewhere.
  const measure = (name: string, open: () => Promise<Session>, session: Session): Measured => ({ name, open, session, ok: 0, lost: 0, resent: 0, errors: [] })
  const bridge = await bridgeSession()
  const victimIndex = await ownerTask(bridge.client)
  t.ok(victimIndex >= 0, 'the bridge has a session on a known task')
  const victim = tasks[victimIndex]
  const onVictim: Measured[] = [measure('mcp-remote', bridgeSession, bridge)]
  const survivors: Measured[] = []
  for (const [name, transport] of [
    ['SDK SSE', 'sse'],
    ['SDK Streamable HTTP', 'streamable-http'],
  ] as const) {
    for (let i = 0; i < 12 && !(onVictim.some((m) => m.name === name) && survivors.some((m) => m.name === name)); i++) {
      const session = await sdkSession(transport)
      const here = (await ownerTask(session.client)) === victimIndex ? onVictim : survivors
      if (here.some((m) => m.name === name)) await release(session)
      else here.push(measure(name, () => sdkSession(transport), session))
    }
  }
  t.equal(onVictim.length, 3, 'mcp-remote, SDK SSE and SDK Streamable HTTP each have a session on the task to stop')
  t.equal(survivors.length, 2, 'an SDK SSE and an SDK Streamable HTTP session on other tasks')

  let running = true
  async function callOnce(m: Measured) {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const outcome = await Promise.race([
        whoami(m.session.client).then(
          () => 'ok' as const,
          (error: unknown) => error,
        ),
        m.session.ended.then((at) => ({ streamEndedAt: at })),
      ])
      if (outcome === 'ok') {
        m.ok++
        if (attempt > 1) m.resent++
        if (m.cutAt !== undefined) m.recoveredAt ??= Date.now()
        return
      }
      const streamEndedAt = (outcome as { streamEndedAt?: number }).streamEndedAt
      m.cutAt ??= streamEndedAt ?? Date.now()
      if (m.errors.length < 5) m.errors.push(streamEndedAt ? 'stream ended' : String(outcome).slice(0, 160))
      await release(m.session)
      m.session = await m.open()
      if (streamEndedAt === undefined && !sessionGone(outcome)) break
    }
    m.lost++
  }
  async function callLoop(m: Measured) {
    for (let calls = 0; running && calls < MAX_CALLS_PER_CLIENT; calls++) {
      await sleep(PAUSE_MS)
      await callOnce(m)
    }
  }

  // The Inspector CLI is one process per call, as users run it: count those that fail while the task stops.
  const inspector = { ok: 0, failed: 0, httpRuns: 0, errors: [] as string[] }
  async function inspectorCall(transport: 'sse' | 'http') {
    const path = transport === 'sse' ? '/sse' : '/mcp'
    if (transport === 'http') inspector.httpRuns++
    const args = ['--cli', `${alb.url}${path}`, '--transport', transport, '--header', `Authorization: Bearer ${ALICE}`, '--method', 'tools/call', '--tool-name', 'whoami']
    const child = spawnChild(t, process.execPath, [devDependencyBin('mcp-inspector'), ...args])
    const timer = setTimeout(() => child.signal('SIGKILL'), INSPECTOR_TIMEOUT_MS)
    const { code } = await child.exited
    clearTimeout(timer)
    if (code === 0 && child.output.includes('"principal": "alice"')) return true
    if (inspector.errors.length < 5) inspector.errors.push(`${transport} exit ${code}: ${child.output.slice(-200)}`)
    return false
  }
  async function inspectorLoop(transport: 'sse' | 'http') {
    while (running) (await inspectorCall(transport)) ? inspector.ok++ : inspector.failed++
  }

  const loops = [...onVictim, ...survivors].map(callLoop)
  await sleep(1_000)
  const inspectorLoops = [inspectorLoop('sse'), inspectorLoop('http')]

  const server = `${BACKEND}/t${victimIndex}`
  const startedAt = Date.now()
  t.equal(await haproxyCommand(alb.socket, `set server ${server} state maint`), '', 'deregistered: the balancer sends the task no new request')
  await sleep(DEREGISTRATION_DELAY_MS)
  const cutAt = Date.now()
  await haproxyCommand(alb.socket, `shutdown sessions server ${server}`)
  victim.child.signal('SIGTERM')
  const exit = await victim.child.exited
  const exitedAt = Date.now()
  t.same(exit, { code: 0, signal: null }, 'the stopped task drained and exited 0')
  await sleep(AFTER_EXIT_MS)
  running = false
  await Promise.all([...loops, ...inspectorLoops])

  const figures = (m: Measured) => ({
    ok: m.ok,
    lost: m.lost,
    resent: m.resent,
    recoverMs: m.cutAt !== undefined && m.recoveredAt !== undefined ? m.recoveredAt - m.cutAt : null,
    cutAfterCloseMs: m.cutAt !== undefined ? m.cutAt - cutAt : null,
    errors: m.errors,
  })
  t.comment(`timeline: close ${cutAt - startedAt} ms after MAINT, exit ${exitedAt - cutAt} ms after SIGTERM`)
  for (const m of onVictim) t.comment(`${m.name} (on the stopped task): ${JSON.stringify(figures(m))}`)
  for (const m of survivors) t.comment(`${m.name} (on another task): ${JSON.stringify(figures(m))}`)
  t.comment(`Inspector CLI during the sequence: ${JSON.stringify(inspector)}`)

  for (const m of onVictim.filter((m) => m.name.startsWith('SDK'))) {
    t.equal(m.lost, 0, `${m.name}: no call lost (it re-initializes and resends on 404 or stream end)`)
    t.ok(m.cutAt !== undefined && m.recoveredAt !== undefined, `${m.name}: its session was cut, and it recovered`)
  }
  for (const m of survivors) {
    t.equal(m.cutAt, undefined, `${m.name} on another task: never cut (${m.errors.join('; ')})`)
    t.equal(m.lost, 0, `${m.name} on another task: no call lost`)
  }
  t.ok(inspector.ok > 0, 'Inspector CLI calls succeeded during the sequence')

  // Every client works again afterwards.
  for (const m of [...onVictim, ...survivors]) t.equal((await whoami(m.session.client)).principal, 'alice', `${m.name} works afterwards`)
  t.ok(await inspectorCall('sse'), 'the Inspector CLI works afterwards')
  // Then, every client gone, the other tasks hold nothing of ours. Legacy SSE sessions end with their streams
  // (mcp-remote's start-up probes only when their own abort fires, about 30 s measured here); the Inspector CLI
  // never deletes its Streamable HTTP session, which waits for MCP_SESSION_IDLE_MS: at most one per such run.
  for (const m of [...onVictim, ...survivors]) await release(m.session)
  const live = tasks.filter((task) => task !== victim)
  const open = async (transport: string) => (await Promise.all(live.map((task) => counter(task, 'mcp_sessions_open', `transport="${transport}"`)))).reduce((a, b) => a + b, 0)
  const settled = async () => (await open('sse')) === 0 && (await open('streamable-http')) <= inspector.httpRuns
  t.ok(await eventually(settled, 60_000, 500), `session gauge of the other tasks: ${await open('sse')} sse (expected 0), ${await open('streamable-http')} streamable-http (at most ${inspector.httpRuns}, the Inspector's)`)
})
