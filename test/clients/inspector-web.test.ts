import t from 'tap'
import type { Browser } from 'playwright-core'
import { ensureBuilt } from '../helpers/build.js'
import type { Tap } from '../helpers/http.js'
import { counter, eventually, startTask, type Task } from '../helpers/processes.js'
import { ALICE, connect } from '../helpers/server.js'
import { launchBrowser, loopbackPage } from './browser.js'
import { InspectorPage, startInspectorWeb } from './inspector-web.js'
import { assertOnlyRefusals, markLog, requestsSince } from './request-log.js'

ensureBuilt()

// The MCP Inspector web UI (pinned devDependency, 2.12.0) in a real browser. The page talks only to the
// Inspector's own Node backend; that backend talks to our server, sending no Origin header, so the server
// runs with its default empty MCP_ALLOWED_ORIGINS (any Origin would get 403).
// Started in a before hook, not by top-level awaits: tap ends a root test that has a teardown and sits idle,
// and a slow first browser launch would leave it idle long enough to end before the subtests are added.
let task: Task
let browser: Browser
t.before(async () => {
  task = await startTask(t)
  browser = await launchBrowser(t)
})
const sseSessions = () => counter(task, 'mcp_sessions_open', 'transport="sse"')
const WRONG_KEY = 'wrong-secret-0123456789'

/** Starts an Inspector holding the key, opens its page and switches the server on, as a person would. */
async function connectThroughInspector(t: Tap, key: string) {
  const inspector = await startInspectorWeb(t, `${task.url}/sse`, key)
  const ui = new InspectorPage(await loopbackPage(t, browser))
  await ui.open(inspector)
  await ui.connect()
  return { inspector, ui }
}

t.test('Inspector UI with a good key: connect, list tools, call whoami as alice', { timeout: 180_000 }, async (t) => {
  const mark = markLog(task)
  const { inspector, ui } = await connectThroughInspector(t, ALICE)
  t.equal(await ui.settledStatus(), 'Connected', 'the server card shows Connected')
  t.ok(await ui.connectSwitch.isChecked(), 'the switch stays on')

  await ui.openTools()
  const { tools } = await (await connect(t, task.url, ALICE, 'streamable-http')).listTools()
  t.equal(await ui.listedToolCount(), tools.length, 'the UI lists as many tools as the server serves')
  for (const { name } of tools) t.equal(await ui.toolButton(name).count(), 1, `${name} is listed`)

  t.match(await ui.runTool('whoami'), { principal: 'alice', sessionId: /^v1\./ }, 'whoami shows principal alice')
  t.equal(await sseSessions(), 1, "the Inspector's backend holds one legacy SSE session")
  const refused = requestsSince(task, mark).filter((request) => request.status >= 400)
  t.same(refused, [], 'no request was refused (no Origin header reached the server)')

  await inspector.child.stop()
  t.ok(await eventually(async () => (await sseSessions()) === 0), 'stopping the Inspector ended its session')
})

t.test('Inspector UI with a wrong key shows the connection failed; the server answered only 401 and 404', { timeout: 180_000 }, async (t) => {
  const mark = markLog(task)
  const authFailures = await counter(task, 'mcp_auth_failures_total')
  const { inspector, ui } = await connectThroughInspector(t, WRONG_KEY)
  t.equal(await ui.settledStatus(), 'Failed', 'the server card shows Failed')
  t.notOk(await ui.connectSwitch.isChecked(), 'the switch is back off')
  // The Inspector reads our 401 as an OAuth challenge; what stops it is our JSON 404 on registration.
  t.match(await ui.failureAlert().innerText(), /this server has no OAuth endpoints/, 'the UI shows our clear 404 message')
  // A failed Inspector keeps retrying GET /sse every few seconds: stop it before reading the log.
  await inspector.child.stop()

  // The last request of that flow, once logged, means every earlier one is.
  await eventually(() => requestsSince(task, mark).some((request) => request.url === '/register'))
  assertOnlyRefusals(t, requestsSince(task, mark), '/sse')
  t.ok((await counter(task, 'mcp_auth_failures_total')) > authFailures, 'the refusals were counted as auth failures')
  t.equal(await sseSessions(), 0, 'no session was opened')
  t.notOk(task.child.output.includes(ALICE) || task.child.output.includes(WRONG_KEY), 'no key in the server log')
})
