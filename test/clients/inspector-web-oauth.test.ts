import t from 'tap'
import type { Browser } from 'playwright-core'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { type AuthorizationServer, startAuthorizationServer } from '../helpers/oauth.js'
import { freePort } from '../helpers/processes.js'
import { ALICE, connect } from '../helpers/server.js'
import { launchBrowser, loopbackPage } from './browser.js'
import { InspectorPage, type InspectorOptions, startInspectorWeb } from './inspector-web.js'
import { assertAuthorizationRequest, assertServedAsSubject, type Era, ERAS, startBridgedServer, whoamiCalls } from './oauth-clients.js'

// The MCP Inspector web UI (pinned devDependency, 2.12.0) in Debian's chromium, signing in with its own OAuth
// flow against a real authorization server process: started with no header, it meets our 401, discovers the
// authorization server through our resource metadata (its backend fetches for the page), registers through our
// bridge's /register, and sends the page to the authorization server, which approves at once and redirects to
// the Inspector's /oauth/callback; the page exchanges the code and connects.

/** The pre-registered public client our registration endpoint hands out (MCP_OAUTH_AS_METADATA=bridge). */
const CLIENT_ID = 'inspector-public-client'

/** How the Inspector is told to speak each era. */
const OPTIONS: Record<Era, InspectorOptions> = {
  'legacy SSE': { transport: 'sse' },
  'Streamable HTTP (2025)': { transport: 'http' },
  'MCP 2026-07-28': { transport: 'http', era: 'modern' },
}

/** Each era's sign-in takes seconds; one that hangs fails with its own name before the file's time runs out. */
const ERA_TIMEOUT_MS = 90_000
t.setTimeout(60_000 + 3 * (ERA_TIMEOUT_MS + 30_000))

// Started in a before hook, not by top-level awaits: tap ends a root test that has a teardown and sits idle,
// and a slow first browser launch would leave it idle long enough to end before the subtests are added.
let as: AuthorizationServer
let browser: Browser
t.before(async () => {
  as = await startAuthorizationServer(t)
  browser = await launchBrowser(t)
})

for (const era of Object.keys(ERAS) as Era[]) {
  t.test(`${era}: the Inspector UI signs in with its own OAuth flow (registration through our bridge) and calls as the subject`, { timeout: ERA_TIMEOUT_MS }, async (t) => {
    const { path } = ERAS[era]
    const port = await freePort()
    const redirectUri = `http://127.0.0.1:${port}/oauth/callback`
    const server = await startBridgedServer(t, as.issuer, CLIENT_ID, redirectUri)
    const inspector = await startInspectorWeb(t, `${server.url}${path}`, undefined, { ...OPTIONS[era], port })
    t.teardown(() => {
      if (!t.passing()) t.comment(`the Inspector's last output:\n${inspector.child.output.slice(-2_000)}\nthe server's last log lines:\n${server.logs.lines.slice(-20).join('\n')}`)
    })
    const page = await loopbackPage(t, browser)
    const ui = new InspectorPage(page)
    await ui.open(inspector)
    const authorizing = page.waitForRequest((request) => request.url().startsWith(`${as.issuer}/authorize`))
    const callingBack = page.waitForRequest((request) => request.url().startsWith(`${redirectUri}?`))
    await ui.connect()

    assertAuthorizationRequest(t, new URL((await authorizing).url()), { issuer: as.issuer, clientId: CLIENT_ID, redirectUri, resource: `${server.url}${path}` })
    t.ok(new URL((await callingBack).url()).searchParams.get('code'), 'the authorization server approved and redirected the page with a code')
    t.equal(await ui.settledStatus(), 'Connected', 'the server card shows Connected')

    await ui.openTools()
    // What the server serves, asked by the SDK client with a key (keys keep working beside OAuth); its session
    // ended at once (DELETE) so that the sessions counted below are the Inspector's.
    const keyClient = await connect(t, server.url, ALICE, 'streamable-http')
    const { tools } = await keyClient.listTools()
    await (keyClient.transport as StreamableHTTPClientTransport).terminateSession()
    t.equal(await ui.listedToolCount(), tools.length, 'the UI lists as many tools as the server serves')
    t.equal(await ui.toolButton('whoami').count(), 1, 'whoami is listed')

    const before = await whoamiCalls(server)
    await assertServedAsSubject(t, server, era, (await ui.runTool('whoami')) as Record<string, unknown>, before)
  })
}
