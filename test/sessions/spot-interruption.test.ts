import t from 'tap'
import type { Client } from '@modelcontextprotocol/client'
import { ensureBuilt } from '../helpers/build.js'
import { eventually, haproxyCommand, ownerOf, startHaproxy, startTask, type Task } from '../helpers/processes.js'
import { ALICE, TRANSPORTS, connect, resultJson } from '../helpers/server.js'

ensureBuilt()

// A Fargate Spot interruption, scaled down: SIGTERM reaches a task that is still in the balancer's pool ("Tasks
// that are run as FARGATE_SPOT might not be deregistered from a load balancer target group until the task
// transitions to the STOPPED state", AWS Knowledge Center, "fargate-spot-termination-notice"). HAProxy plays the
// ALB as deployed: it checks /health, which a draining task still passes, so it keeps sending that task new
// sessions until the task has exited and its health check fails. The deployment path (deregistered first) is
// stop-sequence.test.ts.
const DRAIN_MS = 3_000
/** How long into the drain new sessions are opened: well inside it, so none races the task's exit. */
const OPEN_FOR_MS = 2_000
const MAX_OPENINGS = 40
const CALL_TIMEOUT_MS = 5_000
const BACKEND = 'tasks'

const whoami = async (client: Client) => resultJson(await client.callTool({ name: 'whoami', arguments: {} }, { timeout: CALL_TIMEOUT_MS }))

/** Ends a session as a well-behaved client does (a Streamable HTTP session is deleted), then closes the client. */
async function release(client: Client) {
  const transport = client.transport as { terminateSession?: () => Promise<void> } | undefined
  await transport?.terminateSession?.().catch(() => {})
  await client.close()
}

/** HAProxy's operational state of one server (`show servers state`: srv_op_state, 2 running, 0 stopped). */
async function operationalState(socket: string, server: string): Promise<number> {
  const lines = (await haproxyCommand(socket, `show servers state ${BACKEND}`)).split('\n')
  const fields = lines.map((line) => line.split(' ')).find((fields) => fields[3] === server)
  return Number(fields?.[5])
}

t.test('Spot interruption: SIGTERM while still in the pool; every new session is served, on the draining task or elsewhere', { timeout: 120_000 }, async (t) => {
  const tasks: Task[] = []
  for (let i = 0; i < 2; i++) tasks.push(await startTask(t, { MCP_DRAIN_MS: String(DRAIN_MS), MCP_RATE_LIMIT_PER_MIN: '1000000' }))
  const alb = await startHaproxy(t, tasks)
  const ownerIndex = async (client: Client) => {
    const { sessionId } = await whoami(client)
    return tasks.findIndex((task) => ownerOf(sessionId) === `127.0.0.1:${task.peerPort}`)
  }

  // A session on the task to interrupt, as a busy task has: it keeps the drain going for its full length.
  let held: Client | undefined
  for (let i = 0; i < 6 && !held; i++) {
    const client = await connect(t, alb.url, ALICE, 'streamable-http')
    if ((await ownerIndex(client)) === 0) held = client
    else await release(client)
  }
  t.ok(held, 'a session on the task to interrupt')
  const victim = tasks[0]!

  victim.child.signal('SIGTERM')
  t.ok(await eventually(async () => (await fetch(`${victim.url}/ready`)).status === 503), 'the task is draining: /ready 503')
  t.equal((await fetch(`${victim.url}/health`)).status, 200, '/health still 200, so the balancer keeps the task in its pool')
  t.equal(await operationalState(alb.socket, 't0'), 2, 'the balancer still sends it requests')

  const landed = { draining: { sse: 0, 'streamable-http': 0 }, other: { sse: 0, 'streamable-http': 0 } }
  const failures: string[] = []
  const until = Date.now() + OPEN_FOR_MS
  for (let openings = 0; Date.now() < until && openings < MAX_OPENINGS; openings++) {
    const transport = TRANSPORTS[openings % TRANSPORTS.length]!
    try {
      const client = await connect(t, alb.url, ALICE, transport)
      const owner = await ownerIndex(client)
      landed[owner === 0 ? 'draining' : 'other'][transport]++
      await release(client)
    } catch (error) {
      failures.push(`${transport}: ${String(error).slice(0, 160)}`)
    }
  }
  t.comment(`sessions opened during the drain: ${JSON.stringify(landed)}`)
  t.same(failures, [], 'no new session refused or failed while the task drains in the pool')
  for (const transport of TRANSPORTS) t.ok(landed.draining[transport] > 0, `${transport}: sessions landed on the draining task and were served`)
  t.equal(resultJson(await held!.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the session it held still works')

  t.same(await victim.child.exited, { code: 0, signal: null }, 'the task drained and exited 0')
  // Once the task is gone its health check fails and the balancer takes it out (the ALB: after its unhealthy
  // threshold, or when ECS deregisters the stopped task). From then on new sessions land on the healthy task.
  t.ok(await eventually(async () => (await operationalState(alb.socket, 't0')) === 0), 'the balancer took the exited task out')
  for (const transport of TRANSPORTS) {
    const client = await connect(t, alb.url, ALICE, transport)
    t.equal(await ownerIndex(client), 1, `${transport}: a new session lands on the healthy task`)
    await release(client)
  }
})
