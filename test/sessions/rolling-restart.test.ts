import t from 'tap'
import { SdkHttpError, type Client } from '@modelcontextprotocol/client'
import { ALICE, TRANSPORTS, connect, resultJson, type TransportName } from '../helpers/server.js'
import { startHaproxy, startTask, type Task } from '../helpers/processes.js'

const DRAIN_MS = 1_500
const CLIENTS_PER_TRANSPORT = 3
const MAX_CALLS_PER_CLIENT = 2_000
/** Pause between a client's calls: steady traffic through the whole restart, not a burst before it. */
const PAUSE_MS = 20
const CALL_TIMEOUT_MS = 5_000

interface Tally {
  ok: number
  failed: number
  /** Calls that got 404 (session gone), re-initialized and succeeded on the retry. */
  retriedAfter404: number
  reconnects: number
  /** The first few errors clients saw, for the figures in the README. */
  errors: string[]
}

const whoami = async (client: Client) => resultJson(await client.callTool({ name: 'whoami', arguments: {} }, { timeout: CALL_TIMEOUT_MS }))

t.test('rolling restart (SIGTERM each task in turn) while clients call continuously', async (t) => {
  const env = { MCP_DRAIN_MS: String(DRAIN_MS), MCP_RATE_LIMIT_PER_MIN: '1000000' }
  const tasks: Task[] = []
  for (let i = 0; i < 3; i++) tasks.push(await startTask(t, env))
  const alb = await startHaproxy(t, tasks, { check: '/ready' })

  let running = true
  const tally = (): Tally => ({ ok: 0, failed: 0, retriedAfter404: 0, reconnects: 0, errors: [] })
  const tallies: Record<TransportName, Tally> = { sse: tally(), 'streamable-http': tally() }

  /** Connects, retrying while the balancer or a draining task refuses new sessions (bounded). */
  async function open(transport: TransportName): Promise<Client> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await connect(t, alb.url, ALICE, transport)
      } catch (error) {
        if (attempt === 50) throw error
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }

  async function callLoop(transport: TransportName) {
    const tally = tallies[transport]
    let client = await open(transport)
    for (let calls = 0; running && calls < MAX_CALLS_PER_CLIENT; calls++) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
      try {
        await whoami(client)
        tally.ok++
      } catch (error) {
        // What a client should do (and the SDK documents): on 404 the session is gone, so initialize a
        // new one and send the call again. Anything else counts as a lost call, then reconnect.
        // The Streamable HTTP client carries the status in `status` (SDK v2's SdkHttpError; v1 used `code`);
        // the SSE client only in the message.
        const sessionGone = (error instanceof SdkHttpError && error.status === 404) || /HTTP 404/.test(String(error))
        if (tally.errors.length < 10) tally.errors.push(String(error).slice(0, 200))
        tally.reconnects++
        await client.close().catch(() => {})
        client = await open(transport)
        if (!sessionGone) {
          tally.failed++
          continue
        }
        try {
          await whoami(client)
          tally.retriedAfter404++
        } catch {
          tally.failed++
        }
      }
    }
    await client.close()
  }

  const loops = TRANSPORTS.flatMap((transport) => Array.from({ length: CLIENTS_PER_TRANSPORT }, () => callLoop(transport)))
  await new Promise((resolve) => setTimeout(resolve, 1_000))

  for (let i = 0; i < tasks.length; i++) {
    const old = tasks[i]
    old.child.signal('SIGTERM')
    const exit = await old.child.exited
    t.equal(exit.code, 0, `task ${i} drained and exited 0`)
    tasks[i] = await startTask(t, env, { port: old.port, peerPort: old.peerPort })
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  running = false
  await Promise.all(loops)

  t.comment(`rolling restart figures: ${JSON.stringify(tallies)}`)
  for (const transport of TRANSPORTS) t.ok(tallies[transport].ok > 0, `${transport}: calls went through during the restart`)
  t.equal(tallies['streamable-http'].failed, 0, 'Streamable HTTP clients that retry on 404 lose no call')
  t.ok(tallies['streamable-http'].retriedAfter404 > 0, 'and some calls did need that retry (the restart was felt)')
})
