import t from 'tap'
import { Client, StreamableHTTPClientTransport, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/client'
import { startAuthorizationServer, startOAuthServer } from '../helpers/oauth.js'
import { postJson, request } from '../helpers/http.js'
import { resultJson } from '../helpers/server.js'

const REDIRECT = 'http://127.0.0.1:1/callback'
const CLIENT_ID = 'cognito-public-client'

type Metadata = Record<string, unknown> & { authorization_servers?: string[]; code_challenge_methods_supported?: string[] }
const getJson = async (url: string) => (await (await request(url)).json()) as Metadata

/**
 * A client as strict as the 2025-11-25 authorization spec asks: it finds the authorization server through the
 * resource's metadata and refuses to proceed when that server does not declare S256 PKCE.
 */
async function strictDiscovery(resourceMetadataUrl: string): Promise<Metadata> {
  const [server] = (await getJson(resourceMetadataUrl)).authorization_servers ?? []
  const metadata = await getJson(`${server}/.well-known/oauth-authorization-server`).catch(() => getJson(`${server}/.well-known/openid-configuration`))
  if (!metadata.code_challenge_methods_supported?.includes('S256')) throw new Error('the authorization server does not declare code_challenge_methods_supported S256: refusing to proceed')
  return metadata
}

t.test('an issuer without PKCE metadata or registration (like Cognito): the bridge makes it usable by strict clients', async (t) => {
  const as = await startAuthorizationServer(t, { likeCognito: true })
  const plain = await startOAuthServer(t, as.issuer)
  const plainOrigin = new URL(plain.url).origin
  await t.rejects(strictDiscovery(`${plainOrigin}/.well-known/oauth-protected-resource/mcp`), /refusing to proceed/, 'without the bridge a strict client refuses')

  const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_AS_METADATA: 'bridge', MCP_OAUTH_REGISTRATION_CLIENT_ID: CLIENT_ID, MCP_OAUTH_REDIRECT_URIS: `${REDIRECT} https://claude.ai/api/mcp/auth_callback` })
  const origin = new URL(server.url).origin
  const metadata = await strictDiscovery(`${origin}/.well-known/oauth-protected-resource/mcp`)
  const issuerMetadata = await getJson(`${as.issuer}/.well-known/openid-configuration`)
  t.match(metadata, { issuer: origin, authorization_endpoint: issuerMetadata.authorization_endpoint, token_endpoint: issuerMetadata.token_endpoint, code_challenge_methods_supported: ['S256'], registration_endpoint: `${origin}/register` }, 'the issuer\'s endpoints, S256 and our registration endpoint')
  t.same(await getJson(`${origin}/.well-known/openid-configuration`), metadata, 'at both well-known names')

  const registered = await postJson(`${origin}/register`, { redirect_uris: [REDIRECT], client_name: 'strict' })
  t.equal(registered.status, 201)
  t.match(await registered.json(), { client_id: CLIENT_ID, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }, 'registration answers with the pre-registered public client')
  const foreign = await postJson(`${origin}/register`, { redirect_uris: ['https://evil.example/callback'] })
  t.equal(foreign.status, 400)
  t.match(await foreign.json(), { error: 'invalid_redirect_uri', error_description: /evil\.example/ }, 'a redirect URI the client does not accept is refused')
  t.equal((await postJson(`${origin}/register`, {})).status, 400, 'no redirect URI: refused')
})

t.test('the SDK v2 client signs in through the bridge: dynamic registration, then authorization code + PKCE', async (t) => {
  const as = await startAuthorizationServer(t, { likeCognito: true })
  const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_AS_METADATA: 'bridge', MCP_OAUTH_REGISTRATION_CLIENT_ID: CLIENT_ID, MCP_OAUTH_REDIRECT_URIS: REDIRECT })
  let registered: { client_id: string } | undefined
  let tokens: Awaited<ReturnType<OAuthClientProvider['tokens']>>
  let verifier = ''
  let authorizationUrl: URL | undefined
  const provider: OAuthClientProvider = {
    redirectUrl: REDIRECT,
    clientMetadata: { client_name: 'bridge-test', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' },
    clientInformation: () => registered,
    saveClientInformation: (information) => void (registered = information),
    tokens: () => tokens,
    saveTokens: (saved) => void (tokens = saved),
    redirectToAuthorization: (url) => void (authorizationUrl = url),
    saveCodeVerifier: (saved) => void (verifier = saved),
    codeVerifier: () => verifier,
  }
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: provider })
  await t.rejects(new Client({ name: 'bridge-test', version: '1.0.0' }).connect(transport), UnauthorizedError)
  t.equal(registered?.client_id, CLIENT_ID, 'the client registered through our endpoint')
  t.equal(authorizationUrl?.searchParams.get('client_id'), CLIENT_ID)
  const redirect = await fetch(authorizationUrl!, { redirect: 'manual' })
  await transport.finishAuth(new URL(redirect.headers.get('location')!).searchParams.get('code')!)
  const client = new Client({ name: 'bridge-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: provider }))
  t.teardown(() => client.close())
  t.match(resultJson(await client.callTool({ name: 'whoami', arguments: {} })), { principal: 'oauth:johndoe' }, 'and calls as its subject')
})
