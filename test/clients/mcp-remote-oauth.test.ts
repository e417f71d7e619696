import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { type AuthorizationServer, startAuthorizationServer, startOAuthServer } from '../helpers/oauth.js'
import { counter, eventually, freePort, isRunning } from '../helpers/processes.js'
import { resultJson } from '../helpers/server.js'
import { type Bridge, startBridge } from './mcp-remote.js'
import { assertAuthorizationRequest, assertServedAsSubject, type Era, ERAS, startBridgedServer, SUBJECT, whoamiCalls } from './oauth-clients.js'
import { loggedRequests } from './request-log.js'

// mcp-remote's own OAuth flow, headless, against a real authorization server process: it meets our 401, finds
// the authorization server through our resource metadata, registers, prints the authorization URL (BROWSER is
// a no-op), and waits on its loopback callback. The user's browser is an HTTP client following that URL: the
// authorization server approves at once and redirects to mcp-remote's callback, which exchanges the code.

/** The pre-registered public client our registration endpoint hands out (MCP_OAUTH_AS_METADATA=bridge). */
const CLIENT_ID = 'mcp-remote-public-client'
/** How long mcp-remote may take to print its authorization URL, and the sign-in to finish. */
const SIGN_IN_BOUND_MS = 30_000

/** The bridge mode that speaks each era (`--protocol auto` for MCP 2026-07-28). */
const MODES = { 'legacy SSE': 'sse', 'Streamable HTTP (2025)': 'streamable', 'MCP 2026-07-28': 'modern-auto' } as const

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

for (const era of Object.keys(ERAS) as Era[]) {
  t.test(`${era}: mcp-remote signs in with its own OAuth flow (dynamic registration through our bridge) and calls as the subject`, { timeout: 120_000 }, async (t) => {
    const { path } = ERAS[era]
    const callbackPort = await freePort()
    const redirectUri = `http://127.0.0.1:${callbackPort}/oauth/callback`
    const server = await startBridgedServer(t, as.issuer, CLIENT_ID, redirectUri)
    const bridge = await startBridge(t, `${server.url}${path}`, undefined, MODES[era], { callbackPort })
    const connecting = bridge.client.connect(bridge.transport)
    connecting.catch(() => {}) // awaited below, after the sign-in
    t.teardown(() => bridge.client.close())

    const authorize = await authorizationUrl(bridge)
    assertAuthorizationRequest(t, authorize, { issuer: as.issuer, clientId: CLIENT_ID, redirectUri, resource: `${server.url}${path}` })
    const callback = await approve(authorize)
    t.equal(new URL(callback.url).origin + new URL(callback.url).pathname, redirectUri, 'the authorization server redirected to its callback')
    t.equal(callback.status, 200, 'which took the code')
    await connecting
    const accessToken = savedAccessToken(bridge.configDir)
    t.ok(accessToken, 'it keeps its tokens under its config directory')

    const before = await whoamiCalls(server)
    const { tools } = await bridge.client.listTools()
    t.ok(tools.some((tool) => tool.name === 'whoami'), 'whoami is listed through the bridge')
    // On Streamable HTTP, mcp-remote 0.15.1 first connects a client of its own ("mcp-remote-fallback-test") on a
    // second transport that it never closes, then forwards the real client's initialize: two sessions, with a key
    // too (connectToRemoteServer in its dist/chunk-*.js).
    const sessions = era === 'Streamable HTTP (2025)' ? 2 : 1
    await assertServedAsSubject(t, server, era, resultJson(await bridge.client.callTool({ name: 'whoami', arguments: {} })), before, sessions)
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
  t.equal(await counter(server, 'mcp_sessions_open'), 0, 'no session was opened')

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
