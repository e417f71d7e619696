import { createServer } from 'node:http'
import t from 'tap'
import { loadConfig } from '../../app/config.js'
import { resolvePeerAddress } from '../../app/sessions/peer-address.js'

const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env })

/** A stand-in for the ECS task metadata endpoint (v4 container metadata) on loopback. */
async function metadataEndpoint(t: { teardown(fn: () => unknown): void }, body: unknown, status = 200): Promise<string> {
  const server = createServer((_request, response) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/v4/container`
}

t.test('MCP_PEER_ADDRESS wins', async (t) => {
  t.equal(await resolvePeerAddress(config({ MCP_PEER_ADDRESS: '10.0.1.5:4000' })), '10.0.1.5:4000')
})

t.test('on ECS the task IP comes from the metadata endpoint, with the peer port', async (t) => {
  const uri = await metadataEndpoint(t, { DockerId: 'x', Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: ['10.0.7.42'] }] })
  t.equal(await resolvePeerAddress(config({ ECS_CONTAINER_METADATA_URI_V4: uri, MCP_PEER_PORT: '3001' })), '10.0.7.42:3001')
})

t.test('a metadata answer without an address stops start-up with a reason', async (t) => {
  const uri = await metadataEndpoint(t, { Networks: [] })
  await t.rejects(resolvePeerAddress(config({ ECS_CONTAINER_METADATA_URI_V4: uri })))
  const failing = await metadataEndpoint(t, {}, 500)
  await t.rejects(resolvePeerAddress(config({ ECS_CONTAINER_METADATA_URI_V4: failing })), /answered 500/)
})

t.test('elsewhere: loopback with the peer port; MCP_PEER_PORT=0 turns relaying off', async (t) => {
  t.equal(await resolvePeerAddress(config({ MCP_PEER_PORT: '4123' })), '127.0.0.1:4123')
  t.equal(await resolvePeerAddress(config({ MCP_PEER_PORT: '0' })), undefined)
})
