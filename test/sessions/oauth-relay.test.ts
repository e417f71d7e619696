import t from 'tap'
import { startAuthorizationServer } from '../helpers/oauth.js'
import { bearer, postJson } from '../helpers/http.js'
import { counter, startHaproxy, startTask, type Task } from '../helpers/processes.js'
import { TRANSPORTS, connect, resultJson } from '../helpers/server.js'

/** The URL clients use: only its identity matters here (the tokens' audience); nothing connects to it. */
const PUBLIC_URL = 'https://mcp.example.test'
const relayed = (tasks: Task[]) => Promise.all(tasks.map((task) => counter(task, 'mcp_relayed_requests_total', 'outcome="relayed"'))).then((counts) => counts.reduce((a, b) => a + b, 0))

t.test('three tasks behind the balancer without cookies serve an OAuth client through the relay, as its subject', async (t) => {
  const as = await startAuthorizationServer(t)
  const tasks: Task[] = []
  for (let i = 0; i < 3; i++) tasks.push(await startTask(t, { MCP_OAUTH_ISSUER: as.issuer, MCP_PUBLIC_URL: PUBLIC_URL }))
  const alb = await startHaproxy(t, tasks)
  const token = (sub: string, resource: string) => as.token({ resource: `${PUBLIC_URL}/${resource}`, test_sub: sub })
  for (const transport of TRANSPORTS) {
    const client = await connect(t, alb.url, await token('ada', transport === 'sse' ? 'sse' : 'mcp'), transport)
    const before = await relayed(tasks)
    for (let call = 0; call < 6; call++) {
      t.match(resultJson(await client.callTool({ name: 'whoami', arguments: {} })), { principal: 'oauth:ada' }, `${transport} call ${call}: the subject, wherever it landed`)
    }
    t.ok((await relayed(tasks)) > before, `${transport}: calls were relayed to the session's owner`)
  }
  const initialized = await postJson(`${alb.url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }, bearer(await token('ada', 'mcp')))
  const session = { 'mcp-session-id': initialized.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' }
  await initialized.text()
  for (let attempt = 0; attempt < 3; attempt++) {
    const foreign = await postJson(`${alb.url}/mcp`, { jsonrpc: '2.0', id: 2, method: 'ping' }, { ...bearer(await token('grace', 'mcp')), ...session })
    t.equal(foreign.status, 404, `another subject's token on the session: 404 wherever it lands (${attempt + 1})`)
    await foreign.text()
  }
})
