import t from 'tap'
import type { Client } from '@modelcontextprotocol/client'
import { ALICE, connect, resultJson, type TransportName } from '../helpers/server.js'
import { eventually, ownerOf, startHaproxy, startTask, type Task } from '../helpers/processes.js'

interface Connected {
  transport: TransportName
  client: Client
  owner: string
  /** The client saw its stream end: a close, or an error from the event stream. */
  streamEnded: boolean
}

const whoami = async (client: Client) => resultJson(await client.callTool({ name: 'whoami', arguments: {} }))

t.test('kill -9 of a task: its clients get a stream end or 404, re-initialize elsewhere; others are untouched', async (t) => {
  const tasks: Task[] = []
  for (let i = 0; i < 3; i++) tasks.push(await startTask(t))
  const alb = await startHaproxy(t, tasks)
  const victim = tasks[0]
  const victimAddress = `127.0.0.1:${victim.peerPort}`

  async function open(transport: TransportName): Promise<Connected> {
    const client = await connect(t, alb.url, ALICE, transport)
    const connected: Connected = { transport, client, owner: ownerOf((await whoami(client)).sessionId), streamEnded: false }
    client.onclose = () => (connected.streamEnded = true)
    client.onerror = () => (connected.streamEnded = true)
    return connected
  }

  // Open sessions until each transport has at least one on the victim and one elsewhere (bounded).
  const clients: Connected[] = []
  for (const transport of ['sse', 'streamable-http'] as const) {
    for (let i = 0; i < 30; i++) {
      const mine = clients.filter((c) => c.transport === transport)
      if (mine.some((c) => c.owner === victimAddress) && mine.some((c) => c.owner !== victimAddress)) break
      clients.push(await open(transport))
    }
  }
  const onVictim = clients.filter((c) => c.owner === victimAddress)
  const elsewhere = clients.filter((c) => c.owner !== victimAddress)
  t.ok(onVictim.some((c) => c.transport === 'sse') && onVictim.some((c) => c.transport === 'streamable-http'), 'sessions of both transports on the victim')

  victim.child.signal('SIGKILL')
  await victim.child.exited

  const sseOnVictim = onVictim.filter((c) => c.transport === 'sse')
  t.ok(await eventually(() => sseOnVictim.every((c) => c.streamEnded)), 'legacy SSE clients of the victim see their stream end')
  for (const survivor of elsewhere) t.notOk(survivor.streamEnded, `${survivor.transport} stream on another task did not end`)

  // Until its health check marks the dead task down, the balancer still sends it requests and answers
  // 503 itself (the ALB answers 502): that window is the balancer's, not ours. Wait it out, bounded.
  const settled = async () => {
    for (let i = 0; i < tasks.length * 2; i++) if ((await fetch(`${alb.url}/health`)).status !== 200) return false
    return true
  }
  t.ok(await eventually(settled, 10_000, 100), 'the balancer stopped routing to the dead task')

  for (const lost of onVictim.filter((c) => c.transport === 'streamable-http')) {
    const error = await whoami(lost.client).then(() => undefined, (e: Error) => e)
    t.match(String(error), /404|Session not found/, 'a Streamable HTTP call on the lost session gets 404')
  }

  for (const survivor of elsewhere) {
    t.equal((await whoami(survivor.client)).principal, 'alice', `${survivor.transport} session on another task is untouched`)
  }

  // Re-initializing as the SDK documents: a new client, which lands on a live task.
  for (const lost of onVictim) {
    const replacement = await open(lost.transport)
    t.not(replacement.owner, victimAddress, `${lost.transport} client re-initialized on a live task`)
    t.equal((await whoami(replacement.client)).principal, 'alice', 'and works')
  }
})
