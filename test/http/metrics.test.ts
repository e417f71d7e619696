import t from 'tap'
import { ALICE, BOB, connect, resultJson, startServer } from '../helpers/server.js'
import { expectError, request } from '../helpers/http.js'

const TOKEN = 'metrics-token-0123456789'

/** The value of one sample line, e.g. `mcp_tool_calls_total{tool="whoami",outcome="ok"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.split(' ').pop())
}

t.test('/metrics without a token: Prometheus text for an internal scraper with every metric the design names', async (t) => {
  const server = await startServer(t, { MCP_AUTH_FAILURES_PER_MIN: '1', MCP_MAX_SESSIONS_PER_KEY: '1' })
  const client = await connect(t, server.url, ALICE, 'sse')
  const { sessionId } = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
  for (let attempt = 0; attempt < 2; attempt++) await (await request(`${server.url}/sse`, { headers: { authorization: 'Bearer nope-0123456789abcdef' } })).body?.cancel()
  await (await request(`${server.url}/sse`, { headers: { authorization: `Bearer ${ALICE}` } })).body?.cancel()

  const response = await request(`${server.url}/metrics`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  for (const name of ['mcp_sessions_open', 'mcp_messages_total', 'mcp_tool_calls_total', 'mcp_tool_call_duration_seconds', 'mcp_auth_failures_total', 'mcp_rate_limited_total', 'mcp_relayed_requests_total']) {
    t.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is published`)
  }
  t.equal(sample(text, 'mcp_sessions_open{transport="sse"}'), 1, 'open sessions by transport')
  t.ok((sample(text, 'mcp_messages_total{transport="sse"}') ?? 0) >= 3, 'messages counted (initialize, initialized, tools/call)')
  t.equal(sample(text, 'mcp_tool_calls_total{tool="whoami",outcome="ok"}'), 1, 'tool calls by tool and outcome')
  t.equal(sample(text, 'mcp_tool_call_duration_seconds_count{tool="whoami"}'), 1, 'latency histogram')
  t.equal(sample(text, 'mcp_auth_failures_total'), 2, 'auth failures')
  t.equal(sample(text, 'mcp_rate_limited_total{reason="auth_failures"}'), 1, 'rate limited: failed keys')
  t.equal(sample(text, 'mcp_rate_limited_total{reason="key_sessions"}'), 1, 'rate limited: per-key session cap')
  for (const secret of [ALICE, BOB, sessionId]) t.notOk(text.includes(secret), 'no key or session id in the output')
})

t.test('/metrics without a token: 404 for anything that came through a proxy', async (t) => {
  const server = await startServer(t)
  await expectError(t, await request(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } }), 404)
  await expectError(t, await request(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '10.0.0.5', authorization: `Bearer ${ALICE}` } }), 404)
  t.equal((await request(`${server.url}/metrics`)).status, 200, 'the internal scraper still gets in')
})

t.test('/metrics with MCP_METRICS_TOKEN: 404 without it or with a wrong one, 200 with it', async (t) => {
  const server = await startServer(t, { MCP_METRICS_TOKEN: TOKEN })
  await expectError(t, await request(`${server.url}/metrics`), 404)
  for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, `Bearer ${ALICE}`]) {
    await expectError(t, await request(`${server.url}/metrics`, { headers: { authorization } }), 404)
  }
  const withToken: Record<string, string>[] = [{ authorization: `Bearer ${TOKEN}` }, { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.7' }]
  for (const headers of withToken) {
    const response = await request(`${server.url}/metrics`, { headers })
    t.equal(response.status, 200)
    const text = await response.text()
    t.match(text, /^# TYPE mcp_sessions_open gauge/m)
    t.notOk(text.includes(TOKEN), 'the token is not in the output')
  }
  t.notOk(server.logs.text.includes(TOKEN), 'the token is not logged')
})
