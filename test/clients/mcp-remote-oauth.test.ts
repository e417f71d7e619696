import { setTimeout as sleep } from 'node:timers/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { type AuthorizationServer, startAuthorizationServer, startOAuthServer } from '../helpers/oauth.js'
import { counter, eventually, freePort, isRunning } from '../helpers/processes.js'
import { resultJson } from '../helpers/server.js'
import { type Bridge, startBridge } from './mcp-remote.js'
import { loggedRequests } from './request-log.js'

// mcp-remote's own OAuth flow, headless, against a real authorization server process: it meets our 401, finds
// the authorization server through our resource metadata, registers, prints the authorization URL (BROWSER is
// a no-op), and waits on its loopback callback. The user's browser is an HTTP client following that URL: the
// authorization server approves at once and redirects to mcp-remote's callback, which exchanges the code.

/** The pre-registered public client our registration endpoint hands out (MCP_OAUTH_AS_METADATA=bridge). */
const CLIENT_ID = 'mcp-remote-public-client'
/** The subject oauth2-mock-server puts in the tokens it issues. */
const SUBJECT = 'johndoe'
/** How long mcp-remote may take to print its authorization URL, and the sign-in to finish. */
const SIGN_IN_BOUND_MS = 30_000

type Era = 'legacy SSE' | 'Streamable HTTP (2025)' | 'MCP 2026-07-28'
/** Where each era is served, the bridge mode that speaks it, and the kind of session it opens (none: stateless). */
const ERAS: Record<Era, { path: '/sse' | '/mcp'; mode: 'sse' | 'streamable' | 'modern-auto'; session?: 'sse' | 'streamable-http' }> = {
  'legacy SSE': { path: '/sse', mode: 'sse', session: 'sse' },
  'Streamable HTTP (2025)': { path: '/mcp', mode: 'streamable', session: 'streamable-http' },
  'MCP 2026-07-28': { path: '/mcp', mode: 'modern-auto' },
}

/** The URL mcp-remote asks the user to visit, from its log; bounded. */
async function authorizationUrl(bridge: Bridge): Promise<URL> {
  const printed = () => /Please authorize this client by visiting:\n(\S+)/.exec(bridge.log())?.[1]
  if (!(await eventually(() => printed() !== undefined, SIGN_IN_BOUND_MS, 100))) throw new Error(`mcp-remote printed no authorization URL: ${bridge.log()}`)
  return new URL(printed()!)
}

/** The user's browser: follows the authorization URL through the authorization server to mcp-remote's callback. */
async function approve(url: URL): Promise<Response> {
  return fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(SIGN_IN_BOUND_MS) })
}

/** The access token mcp-remote saved (`<config dir>/mcp-remote-<version>/<server hash>_tokens.json`). */
function savedAccessToken(configDir: string): string | undefined {
  const file = readdirSync(configDir, { recursive: true, encoding: 'utf8' }).find((name) => name.endsWith('_tokens.json'))
  return file === undefined ? undefined : (JSON.parse(readFileSync(join(configDir, file), 'utf8')) as { access_token?: string }).access_token
}

let as: AuthorizationServer
t.before(async () => {
  as = await startAuthorizationServer(t)
})

for (const [era, { path, mode, session }] of Object.entries(ERAS) as [Era, (typeof ERAS)[Era]][]) {
  t.test(`${era}: mcp-remote signs in with its own OAuth flow (dynamic registration through our bridge) and calls as the subject`, { timeout: 120_000 }, async (t) => {
    const callbackPort = await freePort()
    const redirectUri = `http://127.0.0.1:${callbackPort}/oauth/callback`
    const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_AS_METADATA: 'bridge', MCP_OAUTH_REGISTRATION_CLIENT_ID: CLIENT_ID, MCP_OAUTH_REDIRECT_URIS: redirectUri, LOG_LEVEL: 'debug' })
    const bridge = await startBridge(t, `${server.url}${path}`, undefined, mode, { callbackPort })
    const connecting = bridge.client.connect(bridge.transport)
    connecting.catch(() => {}) // awaited below, after the sign-in
    t.teardown(() => bridge.client.close())

    const authorize = await authorizationUrl(bridge)
    t.equal(authorize.origin, new URL(as.issuer).origin, 'it sends the user to the authorization server')
    t.equal(authorize.searchParams.get('client_id'), CLIENT_ID, 'as the client our registration endpoint answered with')
    t.equal(authorize.searchParams.get('redirect_uri'), redirectUri, 'back to its loopback callback')
    t.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'with PKCE')
    t.equal(authorize.searchParams.get('resource'), `${server.url}${path}`, 'for this resource (RFC 8707)')
    t.ok(loggedRequests(server.logs).some((request) => request.url === '/register' && request.status === 201), 'it registered through our endpoint')

    const callback = await approve(authorize)
    t.equal(new URL(callback.url).origin + new URL(callback.url).pathname, redirectUri, 'the authorization server redirected to its callback')
    t.equal(callback.status, 200, 'which took the code')
    await connecting
    const accessToken = savedAccessToken(bridge.configDir)
    t.ok(accessToken, 'it keeps its tokens under its config directory')

    const metric = (name: string, labels = '') => counter({ url: server.url }, name, labels)
    const toolCallsBefore = await metric('mcp_tool_calls_total', 'tool="whoami"')
    const modernCallsBefore = await metric('mcp_modern_requests_total', 'method="tools/call"')
    const { tools } = await bridge.client.listTools()
    t.ok(tools.some((tool) => tool.name === 'whoami'), 'whoami is listed through the bridge')
    const identity = resultJson(await bridge.client.callTool({ name: 'whoami', arguments: {} }))
    t.equal(identity.principal, `oauth:${SUBJECT}`, 'whoami answers as the signed-in subject')
    t.equal(await metric('mcp_tool_calls_total', 'tool="whoami"'), toolCallsBefore + 1, 'the server counted the call')
    if (session) {
      t.match(identity.sessionId, /^v1\./, `in a session (${session})`)
      t.ok((await metric('mcp_sessions_open', `transport="${session}"`)) >= 1, `the server has the ${session} session open`)
    } else {
      t.equal(identity.sessionId, undefined, 'with no session')
      t.equal(await metric('mcp_modern_requests_total', 'method="tools/call"'), modernCallsBefore + 1, 'as a modern request')
      t.equal(await metric('mcp_sessions_open'), 0, 'no session was opened')
    }
    t.ok(
      await eventually(() => server.logs.records().some((record) => record.event === 'tool_call' && record.tool === 'whoami' && record.principal === `oauth:${SUBJECT}`)),
      'and audited it as the subject',
    )

    t.notOk(server.logs.text.includes(accessToken!), 'the token is never logged')

    const pid = bridge.transport.pid!
    await bridge.client.close()
    t.ok(await eventually(() => !isRunning(pid)), 'closing the client stopped mcp-remote')
  })
}

t.test('an issuer without registration and no bridge: mcp-remote gives up without client information, and signs in with --static-oauth-client-info', { timeout: 120_000 }, async (t) => {
  const server = await startOAuthServer(t, as.issuer, { LOG_LEVEL: 'debug' })
  const unregistered = await startBridge(t, `${server.url}/mcp`, undefined, 'streamable')
  const outcome = await Promise.race([unregistered.client.connect(unregistered.transport).then(() => 'connected', () => 'failed'), sleep(SIGN_IN_BOUND_MS).then(() => 'still trying')])
  t.equal(outcome, 'failed', 'with nowhere to register, it gives up by itself')
  t.match(unregistered.log(), /does not support dynamic client registration/, 'its log says why')
  const mcpRequests = loggedRequests(server.logs).filter((request) => request.url === '/mcp')
  t.ok(mcpRequests.length > 0, 'it reached the server')
  t.same(mcpRequests.filter((request) => request.status !== 401), [], 'which answered it only 401')
  t.equal(await counter({ url: server.url }, 'mcp_sessions_open'), 0, 'no session was opened')

  const registered = await startBridge(t, `${server.url}/mcp`, undefined, 'streamable', { args: ['--static-oauth-client-info', JSON.stringify({ client_id: 'test-client' })] })
  const connecting = registered.client.connect(registered.transport)
  connecting.catch(() => {}) // awaited below, after the sign-in
  t.teardown(() => registered.client.close())
  const authorize = await authorizationUrl(registered)
  t.equal(authorize.searchParams.get('client_id'), 'test-client', 'given the pre-registered client, it asks as that client')
  t.equal((await approve(authorize)).status, 200, 'its callback took the code')
  await connecting
  t.equal(resultJson(await registered.client.callTool({ name: 'whoami', arguments: {} })).principal, `oauth:${SUBJECT}`, 'and whoami answers as the signed-in subject')
})
