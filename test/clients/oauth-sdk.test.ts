import t from 'tap'
import { Client, SSEClientTransport, StreamableHTTPClientTransport, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/client'
import { type AuthorizationServer, MemoryProvider, approve, startAuthorizationServer, startOAuthServer } from '../helpers/oauth.js'
import { resultJson } from '../helpers/server.js'

type Era = 'legacy SSE' | 'Streamable HTTP (2025)' | 'MCP 2026-07-28'
const transportFor = (era: Era, url: string, authProvider: OAuthClientProvider) =>
  era === 'legacy SSE' ? new SSEClientTransport(new URL(`${url}/sse`), { authProvider }) : new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { authProvider })
const clientFor = (era: Era) =>
  new Client({ name: 'oauth-sdk-test', version: '1.0.0' }, era === 'MCP 2026-07-28' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {})

let as: AuthorizationServer
t.before(async () => {
  as = await startAuthorizationServer(t)
})

for (const era of ['Streamable HTTP (2025)', 'MCP 2026-07-28', 'legacy SSE'] as Era[]) {
  t.test(`${era}: the SDK v2 client signs in from a bare 401 (discovery, authorization code + PKCE) and calls as its subject`, async (t) => {
    const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_REQUIRED_SCOPES: 'mcp' })
    const provider = new MemoryProvider()
    const first = clientFor(era)
    const transport = transportFor(era, server.url, provider)
    await t.rejects(first.connect(transport), UnauthorizedError, 'the first connect needs the user')
    t.ok(provider.authorizationUrl, 'the client found the authorization server through the resource metadata')
    const authorize = provider.authorizationUrl!
    t.equal(authorize.origin, new URL(as.issuer).origin, 'and sends the user to it')
    t.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'with PKCE')
    t.equal(authorize.searchParams.get('resource'), `${server.url}/${era === 'legacy SSE' ? 'sse' : 'mcp'}`, 'for this resource (RFC 8707)')
    t.match(authorize.searchParams.get('scope'), /\bmcp\b/, 'asking for the required scope')
    await (transport as StreamableHTTPClientTransport).finishAuth(await approve(authorize))
    t.ok(provider.tokens()?.access_token, 'the code was exchanged for a token')

    const client = clientFor(era)
    await client.connect(transportFor(era, server.url, provider))
    t.teardown(() => client.close())
    t.match(resultJson(await client.callTool({ name: 'whoami', arguments: {} })), { principal: 'oauth:johndoe', client: { name: 'oauth-sdk-test' } }, 'the call runs as the signed-in subject')
    t.ok(server.logs.records().some((record) => record.event === 'tool_call' && record.principal === 'oauth:johndoe'), 'and is audited as it')
  })
}
