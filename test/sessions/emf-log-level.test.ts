// LOG_LEVEL=warn silences the app's info lines, but not the two that something reads: the OpenSessions EMF line
// (autoscaling, the sessions alarm, the dashboard) and the audit line of each tool call. Both stay at info
// (level 30), never raised to error where they would set off error alerting.
import t from 'tap'
import { ALICE, connect, startServer } from '../helpers/server.js'
import { bearer, postJson } from '../helpers/http.js'
import { MODERN_META } from '../../bench/load/never-reading.js'
import { eventually } from '../helpers/processes.js'

t.test('with LOG_LEVEL=warn the EMF and audit lines are still written, at info', async (t) => {
  const server = await startServer(t, { LOG_LEVEL: 'warn', MCP_EMF_NAMESPACE: 'Test/MCP', MCP_EMF_SERVICE_NAME: 'svc', MCP_EMF_INTERVAL_MS: '1000' })
  const client = await connect(t, server.url, ALICE, 'streamable-http')
  await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })
  const records = () => server.logs.records()
  t.ok(await eventually(() => records().some((record) => record.OpenSessions === 1), 5_000), 'an EMF line counting the open session')
  const emf = records().find((record) => record.OpenSessions === 1)!
  t.equal(emf.level, 30, 'at info')
  t.match(emf, { ServiceName: 'svc', _aws: { CloudWatchMetrics: [{ Namespace: 'Test/MCP', Metrics: [{ Name: 'OpenSessions' }] }] } })
  const audit = records().filter((record) => record.event === 'tool_call')
  t.equal(audit.length, 1, 'one audit line for the call')
  t.match(audit[0], { level: 30, tool: 'add', outcome: 'ok' })
  const otherInfo = records().filter((record) => record.level === 30 && record.event !== 'tool_call' && record.OpenSessions === undefined)
  t.same(otherInfo.map((record) => record.msg), [], 'every other info line stays silenced')
})

t.test('the EMF line counts MCP 2026-07-28 requests in flight beside open sessions (they scale the service too)', async (t) => {
  const server = await startServer(t, { MCP_EMF_NAMESPACE: 'Test/MCP', MCP_EMF_SERVICE_NAME: 'svc', MCP_EMF_INTERVAL_MS: '1000' })
  const headers = { ...bearer(ALICE), 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'long_task' }
  const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'long_task', arguments: { steps: 1, stepMs: 2500 }, _meta: MODERN_META } }
  const slow = postJson(`${server.url}/mcp`, call, headers)
  const records = () => server.logs.records()
  t.ok(await eventually(() => records().some((record) => record.ModernRequestsInFlight === 1), 5_000), 'an EMF line with the request in flight')
  t.match(records().find((record) => record.ModernRequestsInFlight === 1), { OpenSessions: 1, _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: 'OpenSessions' }, { Name: 'ModernRequestsInFlight' }] }] } })
  t.equal((await slow).status, 200)
})
