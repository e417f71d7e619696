import t from 'tap'
import { JSON_HEADERS, bearer, request } from '../helpers/http.js'
import { ALICE, connect, resultJson, rpcErrorCode } from '../helpers/server.js'
import { counter, eventually, startTask } from '../helpers/processes.js'

const HEARTBEAT_MS = 300
/** The relay gives up after 3 heartbeats of silence; this only bounds the test. */
const HANG_BOUND_MS = 10_000

// Two real processes: the owner holds the session, the relayer carries a long call to it. Then the owner is
// frozen with SIGSTOP: its socket stays open, but no byte (not even a heartbeat) comes out of it.
const env = { MCP_HEARTBEAT_MS: String(HEARTBEAT_MS) }
const owner = await startTask(t, env)
const relayer = await startTask(t, env)

t.test('a relayed stream whose owner goes silent is ended; the relayer keeps serving', async (t) => {
  const client = await connect(t, owner.url, ALICE, 'streamable-http')
  const { sessionId } = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
  const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'long_task', arguments: { steps: 60, stepMs: 1_000 } } }
  const response = await request(`${relayer.url}/mcp`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...bearer(ALICE), 'mcp-session-id': sessionId },
    body: JSON.stringify(call),
    signal: AbortSignal.timeout(60_000),
  })
  t.equal(response.status, 200, 'the long call is relayed as a stream')
  const reader = response.body!.getReader()
  let received = ''
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return 'ended'
        received += Buffer.from(value).toString()
      }
    } catch {
      return 'ended'
    }
  })()

  // Alive and heartbeating: the stream outlasts the silence bound while the owner is running.
  t.ok(await eventually(() => (received.match(/: keepalive/g) ?? []).length >= 5, 5_000), 'heartbeats come through the relay')
  owner.child.signal('SIGSTOP')
  t.teardown(() => owner.child.signal('SIGCONT'))
  const stoppedAt = Date.now()
  const outcome = await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, HANG_BOUND_MS, 'hanging'))])
  t.equal(outcome, 'ended', `the client’s stream ended ${Date.now() - stoppedAt} ms after the owner froze, instead of hanging`)
  t.notMatch(received, /Finished all/, 'it ended without the result: the owner never answered')
  t.ok(await eventually(() => relayer.child.output.includes('"event":"relay_silent"')), 'the relayer logged why')
  t.equal(await counter(relayer, 'mcp_relayed_requests_total', 'outcome="owner_silent"'), 1, 'and counted it')

  const fresh = await connect(t, relayer.url, ALICE, 'sse')
  t.equal(resultJson(await fresh.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'a good client is still served by the relayer')
  owner.child.signal('SIGCONT')
  t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the thawed owner serves its session again')
})

t.test('an owner frozen before it answers: the relayed call gets 404 after 3 heartbeats of silence, not a hang', async (t) => {
  const client = await connect(t, owner.url, ALICE, 'streamable-http')
  const { sessionId } = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
  const unreachable = await counter(relayer, 'mcp_relayed_requests_total', 'outcome="owner_unreachable"')
  owner.child.signal('SIGSTOP')
  t.teardown(() => owner.child.signal('SIGCONT'))
  // The frozen owner's kernel still accepts the connection: only the silence bound can end the wait.
  const response = await request(`${relayer.url}/mcp`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...bearer(ALICE), 'mcp-session-id': sessionId },
    body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
    signal: AbortSignal.timeout(HANG_BOUND_MS),
  })
  t.equal(response.status, 404, 'the client is told the session is gone, within the bound')
  t.equal(await rpcErrorCode(response), -32001, 'session-not-found body')
  t.equal(await counter(relayer, 'mcp_relayed_requests_total', 'outcome="owner_unreachable"'), unreachable + 1, 'the relayer counted it')
  owner.child.signal('SIGCONT')
  t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'the thawed owner serves its session again')
})
