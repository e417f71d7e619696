import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { SignJWT, decodeProtectedHeader } from 'jose'
import { type AuthorizationServer, startAuthorizationServer, startOAuthServer } from '../helpers/oauth.js'
import { type Tap, INITIALIZE, PING, bearer, expectError, openSse, postJson, request } from '../helpers/http.js'
import { ALICE, BOB, connect, resultJson, startServer } from '../helpers/server.js'
import { startTask } from '../helpers/processes.js'

type Server = Awaited<ReturnType<typeof startOAuthServer>>


/** The challenge's parameters, as a client reads them. */
function challengeOf(response: Response): Record<string, string> {
  const header = response.headers.get('www-authenticate') ?? ''
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]))
}

/** An initialize with the credential; its status and challenge. */
async function initializeWith(server: Server, headers: Record<string, string>) {
  const response = await postJson(`${server.url}/mcp`, INITIALIZE, headers)
  return { response, body: await response.text(), challenge: challengeOf(response), session: response.headers.get('mcp-session-id') }
}

/** A token refused: 401 with `error="invalid_token"` in its challenge, a JSON body, no stack, nothing at error level. */
async function refusedToken(t: Tap, server: Server, token: string, reason: RegExp) {
  const { response, body, challenge } = await initializeWith(server, bearer(token))
  t.equal(response.status, 401, 'status 401')
  t.equal(challenge.error, 'invalid_token', 'error="invalid_token"')
  t.match(challenge.error_description, reason, `the reason: ${challenge.error_description}`)
  t.equal(challenge.resource_metadata, `${new URL(server.url).origin}/.well-known/oauth-protected-resource/mcp`, 'and where to sign in')
  t.match(JSON.parse(body), { jsonrpc: '2.0', error: { code: -32000, message: /^Unauthorized: invalid_token: / } })
  t.notMatch(body, /at .*\.(ts|js):\d+/, 'no stack')
  t.notOk(server.logs.records().some((record) => (record.level as number) >= 50), 'nothing logged as an error')
}

let as: AuthorizationServer
t.before(async () => {
  as = await startAuthorizationServer(t)
})

t.test('OAuth off: no metadata (fast 404) and the 401 advertises nothing', async (t) => {
  const server = await startServer(t)
  const metadata = await request(`${server.url}/.well-known/oauth-protected-resource/mcp`)
  t.equal(metadata.status, 404)
  const unauthorized = await postJson(`${server.url}/mcp`, INITIALIZE)
  t.equal(unauthorized.status, 401)
  t.equal(unauthorized.headers.get('www-authenticate'), 'Bearer realm="mcp"')
})

t.test('Protected Resource Metadata (RFC 9728): path-aware per resource and at the root', async (t) => {
  const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_REQUIRED_SCOPES: 'mcp' })
  const origin = new URL(server.url).origin
  for (const [path, resource] of [
    ['/.well-known/oauth-protected-resource/mcp', `${origin}/mcp`],
    ['/.well-known/oauth-protected-resource/sse', `${origin}/sse`],
    ['/.well-known/oauth-protected-resource', `${origin}/mcp`],
  ]) {
    const response = await request(`${origin}${path}`)
    t.equal(response.status, 200, `${path}: 200 without a credential`)
    t.same(await response.json(), { resource, authorization_servers: [as.issuer], scopes_supported: ['mcp'], bearer_methods_supported: ['header'], resource_name: 'MCP server' })
  }
})

t.test('no credential: 401 naming the resource metadata of the route (and the scope when one is required)', async (t) => {
  const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_REQUIRED_SCOPES: 'mcp' })
  const origin = new URL(server.url).origin
  const mcp = await postJson(`${server.url}/mcp`, INITIALIZE)
  t.equal(mcp.status, 401)
  t.same(challengeOf(mcp), { scope: 'mcp', resource_metadata: `${origin}/.well-known/oauth-protected-resource/mcp` })
  t.match(await mcp.json(), { error: { message: /sign in/ } })
  const sse = await request(`${server.url}/sse`)
  t.equal(sse.status, 401)
  t.equal(challengeOf(sse).resource_metadata, `${origin}/.well-known/oauth-protected-resource/sse`, '/sse points at its own document')
  const inQuery = await postJson(`${server.url}/mcp?access_token=${await as.token({ resource: server.resource })}`, INITIALIZE)
  t.equal(inQuery.status, 400, 'a token in the query string is refused')
  t.match(await inQuery.json(), { error: { code: -32600, message: /never in the query string/ } })
})

t.test('every bad token is a 401 invalid_token, never a 500', async (t) => {
  const server = await startOAuthServer(t, as.issuer)
  const resource = server.resource
  const good = await as.token({ resource })
  const { kid } = decodeProtectedHeader(good)
  const now = Math.floor(Date.now() / 1000)
  const claims = { iss: as.issuer, sub: 'ada', aud: resource, exp: now + 600, iat: now }
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwks = (await (await fetch(`${as.issuer}/jwks`)).json()) as { keys: { kid: string }[] }
  const publicPem = createPublicKey({ key: jwks.keys.find((key) => key.kid === kid) as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const cases: [string, string, RegExp][] = [
    ['expired', await as.token({ resource, test_expires_in: '-120' }), /'exp' claim timestamp check failed/],
    ['not yet valid', await as.token({ resource, test_not_before_in: '3600' }), /'nbf' claim timestamp check failed/],
    ['for another resource', await as.token({ resource: 'https://other.example/mcp' }), /not issued for this resource/],
    ['without an audience', await as.token({ test_omit: 'aud' }), /names no audience/],
    ['without an expiry', await as.token({ resource, test_omit: 'exp' }), /missing required 'exp' claim/],
    ['without a subject', await as.token({ resource, test_omit: 'sub' }), /missing required 'sub' claim/],
    ['from another issuer', await new SignJWT({ ...claims, iss: 'https://evil.example' }).setProtectedHeader({ alg: 'RS256', kid }).sign(stranger.privateKey), /./],
    ['signed by another key under the issuer\'s kid', await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(stranger.privateKey), /signature verification failed/],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, /./],
    ['HS256 keyed with the public key', await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(Buffer.from(publicPem)), /./],
    ['garbage shaped like a JWT', 'eyJhbGciOi.not-a-token.x', /./],
  ]
  for (const [what, token, reason] of cases) await t.test(what, (t) => refusedToken(t, server, token, reason))
  const served = await initializeWith(server, bearer(good))
  t.equal(served.response.status, 200, 'the good token of the same issuer is served')
})

t.test('a valid token lacking a required scope: 403 insufficient_scope with the complete scope', async (t) => {
  const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_REQUIRED_SCOPES: 'mcp mcp:tools' })
  const { response, body, challenge } = await initializeWith(server, bearer(await as.token({ resource: server.resource, scope: 'mcp' })))
  t.equal(response.status, 403)
  t.equal(challenge.error, 'insufficient_scope')
  t.equal(challenge.scope, 'mcp mcp:tools')
  t.match(JSON.parse(body), { error: { message: /^Forbidden: insufficient_scope: .*mcp:tools/ } })
  const enough = await initializeWith(server, bearer(await as.token({ resource: server.resource, scope: 'mcp mcp:tools' })))
  t.equal(enough.response.status, 200, 'with both scopes: served')
})

t.test('the subject is the principal on every era: whoami, session ownership across token refreshes', async (t) => {
  const server = await startOAuthServer(t, as.issuer)
  const ada = () => as.token({ resource: server.resource, test_sub: 'ada' })
  for (const transport of ['streamable-http', 'sse'] as const) {
    const client = await connect(t, server.url, await ada(), transport)
    t.match(resultJson(await client.callTool({ name: 'whoami', arguments: {} })), { principal: 'oauth:ada' }, `${transport}: whoami names the subject`)
  }
  const modern = await postJson(
    `${server.url}/mcp`,
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' } } } },
    { ...bearer(await ada()), 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'whoami' },
  )
  t.match(await modern.json(), { result: { structuredContent: { principal: 'oauth:ada' } } }, 'MCP 2026-07-28: whoami names the subject')

  const opened = await initializeWith(server, bearer(await ada()))
  const session = { 'mcp-session-id': opened.session!, 'mcp-protocol-version': '2025-11-25' }
  const refreshed = await postJson(`${server.url}/mcp`, PING, { ...bearer(await ada()), ...session })
  t.equal(refreshed.status, 200, 'a new token of the same subject keeps the session')
  await refreshed.text()
  const other = await postJson(`${server.url}/mcp`, PING, { ...bearer(await as.token({ resource: server.resource, test_sub: 'grace' })), ...session })
  await expectError(t, other, 404, -32001)
  const key = await postJson(`${server.url}/mcp`, PING, { 'x-api-key': ALICE, ...session })
  await expectError(t, key, 404, -32001)
  t.ok(server.logs.records().some((record) => record.event === 'tool_call' && record.principal === 'oauth:ada' && record.oauthClient === 'test-client'), 'audit lines name the subject and its OAuth client')
  const identity = resultJson(await (await connect(t, server.url, await ada(), 'streamable-http')).callTool({ name: 'whoami', arguments: {} }))
  t.match(identity, { principal: 'oauth:ada', oauthClient: 'test-client' }, 'whoami names the OAuth client too')
  t.notOk(server.logs.text.includes((await ada()).slice(0, 40)), 'no token in the logs')
})

t.test('keys beside OAuth: X-API-Key always, a key in Bearer by default, refused in strict mode', async (t) => {
  const lenient = await startOAuthServer(t, as.issuer)
  t.equal((await initializeWith(lenient, { 'x-api-key': ALICE })).response.status, 200, 'X-API-Key')
  t.equal((await initializeWith(lenient, bearer(BOB))).response.status, 200, 'a key as Bearer (clients configured before OAuth)')
  const wrong = await initializeWith(lenient, bearer('not-a-key-0123456789'))
  t.equal(wrong.response.status, 401, 'a wrong key: 401')
  t.ok(wrong.challenge.resource_metadata, 'pointing at the metadata')
  const strict = await startOAuthServer(t, as.issuer, { MCP_OAUTH_KEYS_IN_BEARER: 'false' })
  t.equal((await initializeWith(strict, { 'x-api-key': ALICE })).response.status, 200, 'strict: X-API-Key still')
  const keyAsToken = await initializeWith(strict, bearer(BOB))
  t.equal(keyAsToken.response.status, 401, 'strict: Bearer carries access tokens only')
  t.equal(keyAsToken.challenge.error, 'invalid_token')
})

t.test('scopes and groups map to allow-lists (MCP_OAUTH_GRANTS); audience-less tokens only from listed clients', async (t) => {
  const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_GRANTS: 'mcp:math:tools=add|whoami:prompts=review_code,admins', MCP_OAUTH_GROUPS_CLAIM: 'groups', MCP_OAUTH_CLIENT_IDS: 'cognito-client' })
  const math = await connect(t, server.url, await as.token({ resource: server.resource, scope: 'mcp:math' }), 'streamable-http')
  t.same((await math.listTools()).tools.map((tool) => tool.name).sort(), ['add', 'whoami'], 'a grant with tools=: only those tools')
  t.same((await math.listPrompts()).prompts.map((prompt) => prompt.name), ['review_code'])
  const nothing = await connect(t, server.url, await as.token({ resource: server.resource, scope: 'other' }), 'streamable-http')
  t.same((await nothing.listTools()).tools, [], 'no matching grant: nothing')
  const admin = await connect(t, server.url, await as.token({ resource: server.resource, scope: 'other', test_groups: 'staff,admins' }), 'streamable-http')
  t.ok((await admin.listTools()).tools.length > 2, 'a grant on an IdP group (MCP_OAUTH_GROUPS_CLAIM) with no lists: everything')
  const entra = await connect(t, server.url, await as.token({ resource: server.resource, test_omit: 'scope', test_scp: 'mcp:math' }), 'sse')
  t.same((await entra.listTools()).tools.map((tool) => tool.name).sort(), ['add', 'whoami'], 'scopes in an `scp` array (Entra ID) are read too')
  const noAudience = await as.token({ test_omit: 'aud', client_id: 'cognito-client' })
  const listed = await connect(t, server.url, noAudience, 'sse')
  t.ok((await listed.listTools()).tools.length === 0, 'an audience-less token of a listed client is served (with its grants)')
  await refusedToken(t, server, await as.token({ test_omit: 'aud', client_id: 'someone-else' }), /names no audience/)
})

t.test('the JWKS: a rotated key is fetched on its first token; the issuer unreachable never refuses a known key', async (t) => {
  const local = await startAuthorizationServer(t)
  const server = await startOAuthServer(t, local.issuer)
  const before = await local.token({ resource: server.resource })
  t.equal((await fetch(`${local.issuer}/test/rotate`, { method: 'POST' })).status, 200)
  const tokens = [await local.token({ resource: server.resource }), await local.token({ resource: server.resource })]
  t.equal(new Set(tokens.map((token) => decodeProtectedHeader(token).kid)).size, 2, 'tokens of both keys')
  // An unknown kid refetches the key set at most once per MCP_OAUTH_JWKS_COOLDOWN_MS (1 s here) after the last fetch (start-up).
  await new Promise((resolve) => setTimeout(resolve, 1_100))
  for (const token of tokens) t.equal((await initializeWith(server, bearer(token))).response.status, 200, 'served, whichever key signed it')
  local.child.signal('SIGSTOP')
  t.teardown(() => local.child.signal('SIGCONT'))
  t.equal((await initializeWith(server, bearer(before))).response.status, 200, 'the issuer frozen: a token of a known key is served')
})

t.test('a wrong issuer stops the start with one line naming MCP_OAUTH_ISSUER', async (t) => {
  await t.rejects(startOAuthServer(t, 'http://127.0.0.1:9/nowhere'), { message: /^Invalid configuration: MCP_OAUTH_ISSUER: no authorization server metadata for http:\/\/127\.0\.0\.1:9\/nowhere \(/ })
})

t.test('production with OAuth and no keys: no development key is made or printed; clients are told where to sign in', async (t) => {
  const task = await startTask(t, { MCP_API_KEYS: '', MCP_OAUTH_ISSUER: as.issuer, MCP_PUBLIC_URL: 'https://mcp.example.test' })
  const unauthorized = await postJson(`${task.url}/mcp`, INITIALIZE)
  t.equal(unauthorized.status, 401)
  t.equal(challengeOf(unauthorized).resource_metadata, 'https://mcp.example.test/.well-known/oauth-protected-resource/mcp')
  t.notMatch(task.child.output, /development key|dev_/, 'no development key')
  const notFound = await request(`${task.url}/register`, { method: 'POST' })
  t.equal(notFound.status, 404)
  t.notMatch(await notFound.text(), /no OAuth endpoints/, 'a 404 no longer says there is no OAuth here')
})

t.test('an OAuth client opens a legacy SSE session too', async (t) => {
  const server = await startOAuthServer(t, as.issuer)
  const sse = await openSse(t, server, await as.token({ resource: server.resource, test_sub: 'ada' }))
  t.match(sse.endpoint, /\/messages\?sessionId=/)
  sse.stream.close()
})

