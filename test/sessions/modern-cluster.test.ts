import t from 'tap'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { ALICE } from '../helpers/server.js'
import { bearer } from '../helpers/http.js'
import { counter, eventually, haproxyCommand, startHaproxy, startTask, type Task } from '../helpers/processes.js'

/** How many modern requests a task served, from its metrics (its audit lines are written asynchronously). */
const servedBy = (task: Task) => counter(task, 'mcp_modern_requests_total')

t.test('behind the balancer (no stickiness), modern clients are served by every task, through a deregistration, with no session anywhere', async (t) => {
  const tasks: Task[] = []
  for (let i = 0; i < 3; i++) tasks.push(await startTask(t))
  const alb = await startHaproxy(t, tasks)
  const client = new Client({ name: 'modern-behind-alb', version: '1.0.0' }, { capabilities: { sampling: {} }, versionNegotiation: { mode: 'auto' } })
  client.setRequestHandler('sampling/createMessage', async () => ({ model: 'stub', role: 'assistant', content: { type: 'text', text: 'short' } }))
  await client.connect(new StreamableHTTPClientTransport(new URL(`${alb.url}/mcp`), { requestInit: { headers: bearer(ALICE) } }))
  t.teardown(() => client.close())
  t.equal(client.getProtocolEra(), 'modern')

  const add = async (a: number) => (await client.callTool({ name: 'add', arguments: { a, b: 1 } })).structuredContent
  for (let a = 0; a < 6; a++) t.same(await add(a), { sum: a + 1 })
  const summary = await client.callTool({ name: 'summarize', arguments: { text: 'A text long enough to be worth a summary.' } })
  t.match(summary.content, [{ type: 'text', text: 'short' }], 'summarize, its retry wherever the balancer sent it')
  t.ok(await eventually(async () => (await Promise.all(tasks.map(servedBy))).every((served) => served > 0)), 'every task served modern requests')

  // What deregistering a target is to the ALB: no new requests, open connections cut; then ECS stops it.
  await haproxyCommand(alb.socket, 'set server tasks/t0 state maint')
  await haproxyCommand(alb.socket, 'shutdown sessions server tasks/t0')
  tasks[0].child.signal('SIGTERM')
  const before = (await servedBy(tasks[1])) + (await servedBy(tasks[2]))
  for (let a = 10; a < 16; a++) t.same(await add(a), { sum: a + 1 }, 'calls go on without re-initializing anything')
  t.ok(await eventually(async () => (await servedBy(tasks[1])) + (await servedBy(tasks[2])) >= before + 6), 'the remaining tasks served them')
  for (const task of tasks.slice(1)) t.equal(await counter(task, 'mcp_sessions_open'), 0, 'no session was opened')
})
