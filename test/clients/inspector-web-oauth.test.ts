import t from 'tap'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { type AuthorizationServer, startAuthorizationServer, startOAuthServer } from '../helpers/oauth.js'
import { counter, eventually, freePort } from '../helpers/processes.js'
import { ALICE, connect } from '../helpers/server.js'
import { launchBrowser, loopbackPage } from './browser.js'
import { InspectorPage, type InspectorOptions, startInspectorWeb } from './inspector-web.js'
import { loggedRequests } from './request-log.js'

// The MCP Inspector web UI (pinned devDependency, 2.12.0) in Debian's chromium, signing in with its own OAuth
// flow against a real authorization server process: started with no header, it meets our 401, discovers the
// authorization server through our resource metadata (its backend fetches for the page), registers through our
// bridge's /register, and sends the page to the authorization server, which approves at once and redirects to
// the Inspector's /oauth/callback; the page exchanges the code and connects.

/** The pre-registered public client our registration endpoint hands out (MCP_OAUTH_AS_METADATA=bridge). */
const CLIENT_ID = 'inspector-public-client'
/** The subject oauth2-mock-server puts in the tokens it issues. */
const SUBJECT = 'johndoe'

type Era = 'legacy SSE' | 'Streamable HTTP (2025)' | 'MCP 2026-07-28'
/** Where each era is served, how the Inspector is told to speak it, and the kind of session it opens (none: stateless). */
const ERAS: Record<Era, { path: '/sse' | '/mcp'; options: InspectorOptions; session?: 'sse' | 'streamable-http' }> = {
  'legacy SSE': { path: '/sse', options: { transport: 'sse' }, session: 'sse' },
  'Streamable HTTP (2025)': { path: '/mcp', options: { transport: 'http' }, session: 'streamable-http' },
  'MCP 2026-07-28': { path: '/mcp', options: { transport: 'http', era: 'modern' } },
}

let as: AuthorizationServer
t.before(async () => {
  as = await startAuthorizationServer(t)
})
const browser = await launchBrowser(t)

for (const [era, { path, options, session }] of Object.entries(ERAS) as [Era, (typeof ERAS)[Era]][]) {
  t.test(`${era}: the Inspector UI signs in with its own OAuth flow (registration through our bridge) and calls as the subject`, { timeout: 180_000 }, async (t) => {
    const port = await freePort()
    const redirectUri = `http://127.0.0.1:${port}/oauth/callback`
    const server = await startOAuthServer(t, as.issuer, { MCP_OAUTH_AS_METADATA: 'bridge', MCP_OAUTH_REGISTRATION_CLIENT_ID: CLIENT_ID, MCP_OAUTH_REDIRECT_URIS: redirectUri, LOG_LEVEL: 'debug' })
    const inspector = await startInspectorWeb(t, `${server.url}${path}`, undefined, { ...options, port })
    const page = await loopbackPage(t, browser)
    const ui = new InspectorPage(page)
    await ui.open(inspector)
    const authorizing = page.waitForRequest((request) => request.url().startsWith(`${as.issuer}/authorize`))
    const callingBack = page.waitForRequest((request) => request.url().startsWith(`${redirectUri}?`))
    await ui.connect()

    const authorize = new URL((await authorizing).url())
    t.equal(authorize.searchParams.get('client_id'), CLIENT_ID, 'the page went to the authorization server as the client our registration endpoint answered with')
    t.equal(authorize.searchParams.get('redirect_uri'), redirectUri, "back to the Inspector's callback")
    t.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'with PKCE')
    t.equal(authorize.searchParams.get('resource'), `${server.url}${path}`, 'for this resource (RFC 8707)')
    t.ok(new URL((await callingBack).url()).searchParams.get('code'), 'the authorization server approved and redirected with a code')
    t.equal(await ui.settledStatus(), 'Connected', 'the server card shows Connected')

    await ui.openTools()
    // What the server serves, asked by the SDK client with a key (keys keep working beside OAuth); its session
    // ended at once (DELETE) so that the sessions counted below are the Inspector's.
    const keyClient = await connect(t, server.url, ALICE, 'streamable-http')
    const { tools } = await keyClient.listTools()
    await (keyClient.transport as StreamableHTTPClientTransport).terminateSession()
    t.equal(await ui.listedToolCount(), tools.length, 'the UI lists as many tools as the server serves')
    t.equal(await ui.toolButton('whoami').count(), 1, 'whoami is listed')

    const metric = (name: string, labels = '') => counter({ url: server.url }, name, labels)
    const toolCallsBefore = await metric('mcp_tool_calls_total', 'tool="whoami"')
    const identity = (await ui.runTool('whoami')) as Record<string, unknown>
    t.equal(identity.principal, `oauth:${SUBJECT}`, 'whoami shows the signed-in subject')
    t.equal(await metric('mcp_tool_calls_total', 'tool="whoami"'), toolCallsBefore + 1, 'the server counted the call')
    t.ok(
      await eventually(() => server.logs.records().some((record) => record.event === 'tool_call' && record.tool === 'whoami' && record.principal === `oauth:${SUBJECT}`)),
      'and audited it as the subject',
    )
    if (session) {
      t.match(identity.sessionId, /^v1\./, `in a session (${session})`)
      const open = async () => `${await metric('mcp_sessions_open')} open, ${await metric('mcp_sessions_open', `transport="${session}"`)} ${session}`
      t.ok(await eventually(async () => (await open()) === `1 open, 1 ${session}`), `the server has one session open, the Inspector's ${session} session (${await open()})`)
    } else {
      t.equal(identity.sessionId, undefined, 'with no session')
      t.ok((await metric('mcp_modern_requests_total', 'method="tools/call"')) >= 1, 'as a modern request')
      t.equal(await metric('mcp_sessions_open'), 0, 'no session was opened')
    }
    const requests = loggedRequests(server.logs)
    t.ok(requests.some((record) => record.url === '/register' && record.status === 201), 'it registered through our endpoint')
    const refusals = requests.filter((record) => record.status >= 400)
    t.ok(refusals.length > 0, 'it was refused before signing in')
    t.same(refusals.filter((record) => !(record.status === 401 && record.url === path)), [], `only with 401 on ${path}, which started the sign-in`)
  })
}
