import t from 'tap'
import { catalogNames } from '../../app/mcp/catalog.js'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { ALICE } from '../helpers/server.js'
import { bearer } from '../helpers/http.js'
import { eventually, startTask, type Task } from '../helpers/processes.js'

/** The audit lines a task wrote for modern requests, from its own log. */
function modernLines(task: Task): Record<string, unknown>[] {
  return task.child.output
    .split('\n')
    .filter((line) => line.includes('"modern_request"'))
    .map((line) => JSON.parse(line))
}

t.test('two tasks, relaying off, every POST alternating between them: every modern call succeeds', async (t) => {
  const tasks = [await startTask(t, { MCP_PEER_PORT: '0' }), await startTask(t, { MCP_PEER_PORT: '0' })]
  const servedBy: number[] = []
  // The balancer's worst case for a client that keeps no cookies: each POST to the other task, in turn.
  const alternating: typeof fetch = async (input, init) => {
    const index = servedBy.length % 2
    servedBy.push(index)
    const url = new URL(String(input instanceof Request ? input.url : input))
    url.port = String(tasks[index].port)
    return fetch(url, init)
  }
  const client = new Client({ name: 'alternating', version: '1.0.0' }, { capabilities: { sampling: {} }, versionNegotiation: { mode: 'auto' } })
  client.setRequestHandler('sampling/createMessage', async () => ({ model: 'stub', role: 'assistant', content: { type: 'text', text: 'a short summary' } }))
  await client.connect(new StreamableHTTPClientTransport(new URL(`${tasks[0].url}/mcp`), { requestInit: { headers: bearer(ALICE) }, fetch: alternating }))
  t.teardown(() => client.close())
  t.equal(client.getProtocolEra(), 'modern')

  t.equal((await client.listTools()).tools.length, catalogNames.tools.length)
  t.same((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent, { sum: 3 })
  const progress: number[] = []
  await client.callTool({ name: 'long_task', arguments: { steps: 2, stepMs: 10 } }, { onprogress: (p) => progress.push(p.progress) })
  t.same(progress, [1, 2])
  const summary = await client.callTool({ name: 'summarize', arguments: { text: 'A text long enough to be summarized by someone.' } })
  t.notOk(summary.isError)
  t.match(summary.content, [{ type: 'text', text: 'a short summary' }])

  t.ok(servedBy.includes(0) && servedBy.includes(1), 'both tasks served POSTs')
  // The tasks write their logs asynchronously: wait for the last POST's line.
  await eventually(() => modernLines(tasks[0]).length + modernLines(tasks[1]).length >= servedBy.length)
  const lines = tasks.map(modernLines)
  t.equal(lines[0].length + lines[1].length, servedBy.length, 'each POST was served by exactly the task it was sent to')
  t.equal(lines[0].length, servedBy.filter((index) => index === 0).length)
  const summarizeRounds = lines.map((taskLines) => taskLines.filter((line) => line.name === 'summarize').map((line) => line.round))
  t.same(summarizeRounds.flat().sort(), [1, 2], 'summarize took two POSTs')
  t.ok(summarizeRounds[0].length === 1 && summarizeRounds[1].length === 1, 'its retry landed on the other task')
  for (const taskLines of lines) for (const line of taskLines) t.equal(line.outcome, 'ok')
})
