import t from 'tap'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { ALICE, TRANSPORTS, connect, startServer, type TestServer } from '../helpers/server.js'
import { resultText, waitFor } from './helpers.js'

const STEPS = 1000

/** The tool's own record of how far it got, written once its loop has exited. */
function endRecord(server: TestServer) {
  return server.logs.records().find((record) => record.event === 'long_task_ended')
}

for (const transport of TRANSPORTS) {
  t.test(`long_task over ${transport}: the client receives increasing progress, and the task finishes`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    // Watched while the call runs: the SDK client forgets a call's progress token as soon as its answer
    // arrives, so updates sent just before the answer may be dropped on the client side.
    const progress: { progress: number; total?: number }[] = []
    const controller = new AbortController()
    const running = client.callTool({ name: 'long_task', arguments: { steps: STEPS, stepMs: 5 } }, {
      signal: controller.signal,
      onprogress: (update) => progress.push(update),
    })
    await waitFor(() => progress.length >= 5, 'five progress updates')
    controller.abort()
    await t.rejects(running)
    const values = progress.map((update) => update.progress)
    t.same(values, values.map((_, index) => index + 1), 'one update per step, increasing')
    t.ok(progress.every((update) => update.total === STEPS), 'each update names the total')

    const finished = await client.callTool({ name: 'long_task', arguments: { steps: 3, stepMs: 1 } })
    t.equal(resultText(finished), 'Finished all 3 steps')
    const short = () => server.logs.records().find((record) => record.event === 'long_task_ended' && record.steps === 3)
    await waitFor(() => short() !== undefined, 'the short task to end')
    t.match(short(), { completedSteps: 3, cancelled: false })
  })

  t.test(`long_task over ${transport}: a cancelled call stops its work`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    const controller = new AbortController()
    let seen = 0
    const call = client.callTool({ name: 'long_task', arguments: { steps: STEPS, stepMs: 20 } }, {
      signal: controller.signal,
      onprogress: ({ progress }) => {
        seen = progress
      },
    })
    await waitFor(() => seen >= 2, 'two progress updates')
    controller.abort('stop')
    await t.rejects(call)
    await waitFor(() => endRecord(server) !== undefined, 'the task to end')
    const end = endRecord(server)!
    t.equal(end.cancelled, true)
    t.ok((end.completedSteps as number) < STEPS, `stopped after ${end.completedSteps} of ${STEPS} steps`)
    await waitFor(() => server.logs.records().some((record) => record.event === 'tool_call'), 'the audit line')
    t.match(server.logs.records().find((record) => record.event === 'tool_call'), { tool: 'long_task', outcome: 'cancelled' })
    t.same(await client.ping(), {}, 'the session keeps working')
  })

  t.test(`long_task over ${transport}: ending the session stops the work`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    let seen = 0
    const call = client.callTool({ name: 'long_task', arguments: { steps: STEPS, stepMs: 20 } }, {
      onprogress: ({ progress }) => {
        seen = progress
      },
    })
    call.catch(() => undefined)
    await waitFor(() => seen >= 1, 'a progress update')
    // SSE sessions end when the stream closes; Streamable HTTP sessions end with DELETE /mcp.
    if (transport === 'streamable-http') await (client.transport as StreamableHTTPClientTransport).terminateSession()
    await client.close()
    await waitFor(() => endRecord(server) !== undefined, 'the task to end')
    const end = endRecord(server)!
    t.equal(end.cancelled, true)
    t.ok((end.completedSteps as number) < STEPS, `stopped after ${end.completedSteps} of ${STEPS} steps`)
    await waitFor(() => server.app.sessions.size === 0, 'the session to close')
  })
}
