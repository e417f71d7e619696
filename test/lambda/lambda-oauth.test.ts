// OAuth on the Lambda leg: the built handler under the stand-in runtime, with a real authorization server process
// (oauth2-mock-server) and the function's public URL read at init from a parameter store as the stack provides it
// (only AWS is mocked: an SSM endpoint on loopback that the SDK is pointed at).
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { join } from 'node:path'
import t from 'tap'
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client'
import { bearer, postJson, type Tap } from '../helpers/http.js'
import { type AuthorizationServer, MemoryProvider, REDIRECT, approve, startAuthorizationServer } from '../helpers/oauth.js'
import { freePort, spawnChild } from '../helpers/processes.js'
import { ALICE, KEYS, resultJson } from '../helpers/server.js'
import { BUNDLE, HANDLER, MODERN, ROOT, STAND_IN, noRuntimeErrors, startFunction, type Instance } from './function.js'

const SUBJECT = 'johndoe'
const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }

/** SSM's GetParameter (JSON 1.1 protocol) on loopback, holding the parameters a test puts in it; it records each read. */
async function parameterStore(t: Tap) {
  const values = new Map<string, string>()
  const reads: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const name = String((JSON.parse(body || '{}') as { Name?: string }).Name)
      reads.push(`${req.headers['x-amz-target']} ${name}`)
      const value = values.get(name)
      res.writeHead(value === undefined ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1' })
      res.end(JSON.stringify(value === undefined ? { __type: 'ParameterNotFound', message: '' } : { Parameter: { Name: name, Type: 'String', Value: value, Version: 1 } }))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const { port } = server.address() as { port: number }
  return {
    values,
    reads,
    /** What the function's SDK needs to reach this store instead of AWS (AWS_ENDPOINT_URL_<SERVICE>). */
    env: { AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${port}`, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true' },
  }
}

let as: AuthorizationServer
let ssm: Awaited<ReturnType<typeof parameterStore>>
t.before(async () => {
  as = await startAuthorizationServer(t)
  ssm = await parameterStore(t)
})

const parameterOf = (url: string) => `/mcp-test/lambda-${new URL(url).port}/public-url`

/**
 * The function with OAuth on as the stack sets it: the issuer and required scope in its environment, its URL in the
 * parameter store (the shim's own, unless `publicUrl` names the CloudFront URL in front of it). NODE_ENV=test: the
 * shim serves plain http on loopback, which production refuses with OAuth on.
 */
function oauthFunction(t: Tap, { env = {}, handler = HANDLER, publicUrl, issuer = as.issuer }: { env?: Record<string, string>; handler?: string; publicUrl?: string; issuer?: string } = {}) {
  return startFunction(t, (url) => {
    ssm.values.set(parameterOf(url), publicUrl ?? url)
    return { NODE_ENV: 'test', MCP_OAUTH_ISSUER: issuer, MCP_OAUTH_REQUIRED_SCOPES: 'mcp', MCP_LAMBDA_PUBLIC_URL_PARAMETER: parameterOf(url), ...ssm.env, ...env }
  }, 30_000, handler)
}

type Mode = 'default' | 'pinned'
const sdkClient = (mode: Mode) => new Client({ name: `lambda-oauth-${mode}`, version: '1.0.0' }, mode === 'pinned' ? { versionNegotiation: { mode: { pin: MODERN } } } : {})
const transport = (instance: Instance, init: ConstructorParameters<typeof StreamableHTTPClientTransport>[1]) => new StreamableHTTPClientTransport(new URL(`${instance.url}/mcp`), init)

/** The SDK v2 client's own flow: a bare 401, discovery, the user approving (authorization code + PKCE), then add. */
async function signInAndAdd(t: Tap, instance: Instance, mode: Mode, issuer = as.issuer) {
  const provider = new MemoryProvider()
  const first = transport(instance, { authProvider: provider })
  await t.rejects(sdkClient(mode).connect(first), UnauthorizedError, 'the first connect needs the user')
  const authorize = provider.authorizationUrl!
  t.equal(authorize?.origin, new URL(issuer).origin, 'the client found the authorization server through the leg’s resource metadata')
  t.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'with PKCE')
  t.equal(authorize.searchParams.get('resource'), `${instance.url}/mcp`, 'for the leg’s own resource (RFC 8707)')
  t.match(authorize.searchParams.get('scope'), /\bmcp\b/, 'asking for the required scope')
  await first.finishAuth(await approve(authorize))
  const client = sdkClient(mode)
  await client.connect(transport(instance, { authProvider: provider }))
  t.teardown(() => client.close())
  t.equal(client.getProtocolEra(), mode === 'pinned' ? 'modern' : 'legacy')
  t.same((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent, { sum: 5 }, 'add answers')
  t.match(resultJson(await client.callTool({ name: 'whoami', arguments: {} })), { principal: `oauth:${SUBJECT}` }, 'as the signed-in subject')
}

t.test('the SDK v2 client signs in through the handler and calls add, pinned to 2026-07-28 and in default mode', async (t) => {
  const instance = await oauthFunction(t)
  t.same(ssm.reads.filter((read) => read.endsWith(parameterOf(instance.url))), [`AmazonSSM.GetParameter ${parameterOf(instance.url)}`], 'the public URL was read once, at init')
  for (const mode of ['pinned', 'default'] as Mode[]) await t.test(`${mode} client`, (t) => signInAndAdd(t, instance, mode))
  const audit = instance.logs().filter((record) => record.event === 'tool_call' && record.tool === 'add')
  t.equal(audit.length, 2, 'one audit line per add call')
  t.ok(audit.every((record) => record.principal === `oauth:${SUBJECT}` && record.outcome === 'ok'), 'audited as the subject')
  noRuntimeErrors(t, instance)
})

t.test('a missing token gets the challenge, and the metadata it points at names the leg’s own resource', async (t) => {
  const instance = await oauthFunction(t)
  const metadataUrl = `${instance.url}/.well-known/oauth-protected-resource/mcp`
  const refused = await postJson(`${instance.url}/mcp`, INITIALIZE)
  t.equal(refused.status, 401)
  t.equal(refused.headers.get('www-authenticate'), `Bearer scope="mcp", resource_metadata="${metadataUrl}"`)
  t.match(await refused.json(), { jsonrpc: '2.0', id: null, error: { code: -32000, message: /^Unauthorized: sign in/ } })
  const expected = { resource: `${instance.url}/mcp`, authorization_servers: [as.issuer], scopes_supported: ['mcp'], bearer_methods_supported: ['header'] }
  for (const url of [metadataUrl, `${instance.url}/.well-known/oauth-protected-resource`]) {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
    t.equal(response.status, 200, `${new URL(url).pathname} through the function`)
    t.match(await response.json(), expected)
  }
  const sse = await fetch(`${instance.url}/.well-known/oauth-protected-resource/sse`, { signal: AbortSignal.timeout(10_000) })
  t.match(await sse.json(), { resource: `${instance.url}/sse` }, 'the legacy resource’s document too (its requests answer with the service’s URL)')
  noRuntimeErrors(t, instance)
})

t.test('behind CloudFront: the resource is the distribution’s URL, not the host the function sees; discovery carries the origin secret like every request', async (t) => {
  const secret = 'origin-secret-0123456789abcdef-0123456789'
  const cloudFront = 'https://d-lambda.cloudfront.example'
  const instance = await oauthFunction(t, { env: { MCP_LAMBDA_ORIGIN_SECRET: secret }, publicUrl: cloudFront })
  const metadataUrl = `${instance.url}/.well-known/oauth-protected-resource/mcp`
  const viaCloudFront = await fetch(metadataUrl, { headers: { 'x-mcp-origin-secret': secret }, signal: AbortSignal.timeout(10_000) })
  t.equal(viaCloudFront.status, 200)
  t.match(await viaCloudFront.json(), { resource: `${cloudFront}/mcp` })
  const refused = await postJson(`${instance.url}/mcp`, INITIALIZE, { 'x-mcp-origin-secret': secret })
  t.equal(refused.status, 401)
  t.equal(refused.headers.get('www-authenticate'), `Bearer scope="mcp", resource_metadata="${cloudFront}/.well-known/oauth-protected-resource/mcp"`, 'the challenge points at the distribution')
  const token = await as.token({ resource: `${cloudFront}/mcp`, scope: 'mcp' })
  t.equal((await postJson(`${instance.url}/mcp`, INITIALIZE, { ...bearer(token), 'x-mcp-origin-secret': secret })).status, 200, 'a token issued for the distribution’s resource is accepted')
  const forTheHost = await as.token({ resource: `${instance.url}/mcp`, scope: 'mcp' })
  t.equal((await postJson(`${instance.url}/mcp`, INITIALIZE, { ...bearer(forTheHost), 'x-mcp-origin-secret': secret })).status, 401, 'one issued for the function URL’s host is not')
  const direct = await fetch(metadataUrl, { signal: AbortSignal.timeout(10_000) })
  t.equal(direct.status, 403)
  t.match(await direct.json(), { error: { message: 'Forbidden: use the service URL' } })
})

t.test('refused tokens: expired, for another resource, without an audience (401 invalid_token), lacking the scope (403 insufficient_scope); a good one works after', async (t) => {
  const instance = await oauthFunction(t)
  const resource = `${instance.url}/mcp`
  const cases: { name: string; params: Record<string, string>; status: number; code: string; reason: RegExp }[] = [
    { name: 'expired', params: { resource, scope: 'mcp', test_expires_in: '-120' }, status: 401, code: 'invalid_token', reason: /"exp" claim timestamp check failed/ },
    { name: 'issued for another resource', params: { resource: 'https://other.example.com/mcp', scope: 'mcp' }, status: 401, code: 'invalid_token', reason: /not issued for this resource/ },
    { name: 'without an audience', params: { scope: 'mcp', test_omit: 'aud' }, status: 401, code: 'invalid_token', reason: /names no audience/ },
    { name: 'lacking the required scope', params: { resource, scope: 'other' }, status: 403, code: 'insufficient_scope', reason: /lacks the scope mcp/ },
  ]
  for (const refusal of cases) {
    await t.test(refusal.name, async (t) => {
      const token = await as.token(refusal.params)
      const response = await postJson(`${instance.url}/mcp`, INITIALIZE, bearer(token))
      t.equal(response.status, refusal.status)
      const challenge = response.headers.get('www-authenticate') ?? ''
      t.match(challenge, new RegExp(`^Bearer error="${refusal.code}", error_description="[^"]+", scope="mcp", resource_metadata="${instance.url}/.well-known/oauth-protected-resource/mcp"$`))
      const body = await response.text()
      t.match(JSON.parse(body), { jsonrpc: '2.0', id: null, error: { code: -32000, message: refusal.reason } })
      t.notMatch(body, token, 'the token is not echoed')
      t.notMatch(body, /at .*\.js:\d+/, 'no stack')
    })
  }
  t.notOk(instance.logs().some((record) => JSON.stringify(record).includes('eyJ')), 'no token reached a log line')
  const good = sdkClient('pinned')
  await good.connect(transport(instance, { requestInit: { headers: bearer(await as.token({ resource, scope: 'mcp' })) } }))
  t.teardown(() => good.close())
  t.same((await good.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent, { sum: 3 }, 'a valid token is still served')
  noRuntimeErrors(t, instance)
})

t.test('keys work beside tokens: X-API-Key always, a key in Bearer by default, not in the strict mode', async (t) => {
  const initializeWith = (instance: Instance, headers: Record<string, string>) => postJson(`${instance.url}/mcp`, INITIALIZE, headers)
  const lenient = await oauthFunction(t)
  for (const headers of [{ 'x-api-key': ALICE }, bearer(ALICE)]) {
    const client = sdkClient('pinned')
    await client.connect(transport(lenient, { requestInit: { headers } }))
    t.teardown(() => client.close())
    t.match(resultJson(await client.callTool({ name: 'whoami', arguments: {} })), { principal: 'alice' }, `${Object.keys(headers)[0]}: the key’s principal`)
  }
  const strict = await oauthFunction(t, { env: { MCP_OAUTH_KEYS_IN_BEARER: 'false' } })
  const inBearer = await initializeWith(strict, bearer(ALICE))
  t.equal(inBearer.status, 401, 'strict: Bearer carries access tokens only')
  t.match(inBearer.headers.get('www-authenticate'), /^Bearer error="invalid_token"/)
  t.equal((await initializeWith(strict, { 'x-api-key': ALICE })).status, 200, 'strict: X-API-Key still works')
})

t.test('with the Cognito bridge, the authorization-server metadata and registration are served through the function', async (t) => {
  const cognitoLike = await startAuthorizationServer(t, { likeCognito: true })
  const bridge = { MCP_OAUTH_AS_METADATA: 'bridge', MCP_OAUTH_REGISTRATION_CLIENT_ID: 'test-client', MCP_OAUTH_REDIRECT_URIS: REDIRECT }
  const instance = await oauthFunction(t, { issuer: cognitoLike.issuer, env: bridge })
  const metadata = await fetch(`${instance.url}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout(10_000) })
  t.equal(metadata.status, 200)
  t.match(await metadata.json(), { issuer: instance.url, code_challenge_methods_supported: ['S256'], registration_endpoint: `${instance.url}/register` }, 'what Cognito lacks, on the leg’s origin')
  const registered = await postJson(`${instance.url}/register`, { redirect_uris: [REDIRECT], client_name: 'lambda' })
  t.equal(registered.status, 201)
  t.match(await registered.json(), { client_id: 'test-client', redirect_uris: [REDIRECT] })
  await signInAndAdd(t, instance, 'pinned', cognitoLike.issuer)
  noRuntimeErrors(t, instance)
})

t.test('the bundle the stack deploys reads its URL through the runtime’s SDK and serves the same sign-in', async (t) => {
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build-lambda.mjs')], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 })
  t.equal(built.status, 0, 'npm run build:lambda')
  const instance = await oauthFunction(t, { handler: BUNDLE })
  t.ok(ssm.reads.includes(`AmazonSSM.GetParameter ${parameterOf(instance.url)}`), 'the parameter was read (@aws-sdk left out of the bundle, found at run time)')
  await signInAndAdd(t, instance, 'pinned')
  noRuntimeErrors(t, instance)
})

t.test('an unreadable public URL parameter stops init with one line (exit 78)', async (t) => {
  const port = await freePort()
  const child = spawnChild(t, process.execPath, [STAND_IN, HANDLER, '--port', String(port)], {
    NODE_ENV: 'production',
    MCP_API_KEYS: KEYS,
    MCP_OAUTH_ISSUER: as.issuer,
    MCP_LAMBDA_PUBLIC_URL_PARAMETER: '/mcp-test/missing',
    ...ssm.env,
  })
  t.equal((await child.exited).code, 78)
  t.match(child.output, /Invalid configuration: MCP_LAMBDA_PUBLIC_URL_PARAMETER: could not read the SSM parameter \/mcp-test\/missing: /)
  t.notMatch(child.output, /\n\s+at /, 'no stack')
})

t.test('a set MCP_PUBLIC_URL wins: the parameter is not read', async (t) => {
  const instance = await startFunction(t, (url) => ({ NODE_ENV: 'test', MCP_OAUTH_ISSUER: as.issuer, MCP_PUBLIC_URL: url, MCP_LAMBDA_PUBLIC_URL_PARAMETER: '/mcp-test/unread', ...ssm.env }))
  t.notOk(ssm.reads.some((read) => read.endsWith('/mcp-test/unread')), 'no read')
  const metadata = await fetch(`${instance.url}/.well-known/oauth-protected-resource/mcp`, { signal: AbortSignal.timeout(10_000) })
  t.match(await metadata.json(), { resource: `${instance.url}/mcp` })
})
