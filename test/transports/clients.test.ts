import t from 'tap'
import { ALICE, TRANSPORTS, connect, resultJson, startServer } from '../helpers/server.js'

for (const transport of TRANSPORTS) {
  t.test(`SDK client over ${transport}: initialize, list, call, ping`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    t.equal(client.getServerVersion()?.name, 'mcp-fargate-server')
    const { tools } = await client.listTools()
    t.ok(tools.some((tool) => tool.name === 'whoami'), 'whoami is listed')
    const identity = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
    t.equal(identity.principal, 'alice')
    t.match(identity.sessionId, /^v1\./)
    t.same(await client.ping(), {})
    t.equal(server.app.sessions.size, 1, 'one session open')
  })
}
