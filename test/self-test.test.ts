import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { MAIN, freePort, startTask } from './helpers/processes.js'
import { ensureBuilt } from './helpers/build.js'
import { ALICE, KEYS, connect, resultJson } from './helpers/server.js'

ensureBuilt()

const DRIFT = join(import.meta.dirname, 'fixtures/sdk-drift.mjs')

/** The real entry point on an SDK made to drift as it loads (test/fixtures/sdk-drift-hooks.mjs), run to its exit. */
async function startOnDriftedSdk(drift: string) {
  return spawnSync(process.execPath, ['--import', DRIFT, MAIN], {
    env: { ...process.env, SDK_DRIFT: drift, NODE_ENV: 'production', MCP_API_KEYS: KEYS, HOST: '127.0.0.1', PORT: String(await freePort()), MCP_PEER_PORT: '0' },
    encoding: 'utf8',
    timeout: 20_000,
  })
}

const DRIFTS: [string, string, RegExp][] = [
  ['field', 'a private field the sessions adopt renamed (_registeredTools)', /a 2025 initialize answered 500 .*: @modelcontextprotocol\/server no longer keeps registrations in _registeredTools$/],
  ['classification', 'the per-request transport recognised by constructor identity', /an MCP 2026-07-28 whoami call \(the SDK no longer binds ModernExchange, a PerRequestHTTPServerTransport, to the request's revision\) answered 400 .*-32022/],
  ['dispatch', 'a dispatch method renamed (Server._onrequest)', /@modelcontextprotocol\/server no longer dispatches with Server\._onrequest$/],
  ['transport', 'the field of its transport renamed (Protocol._transport)', /@modelcontextprotocol\/server no longer keeps its transport in Protocol\._transport$/],
]

for (const [drift, what, reason] of DRIFTS) {
  t.test(`a drifted SDK refuses to start: ${what}`, async (t) => {
    const result = await startOnDriftedSdk(drift)
    t.equal(result.status, 78, 'exit code 78 (configuration)')
    const lines = result.stderr.trim().split('\n')
    t.equal(lines.length, 1, 'one line on stderr')
    t.match(lines[0], /^SDK self-test failed \(the installed @modelcontextprotocol\/server does not work as this server uses it\): /)
    t.match(lines[0], reason, 'naming what drifted')
    t.notMatch(result.stdout, /listening/i, 'it never listened')
  })
}

t.test('the SDK as installed passes the self-test: the server starts and serves', async (t) => {
  const task = await startTask(t, { NODE_OPTIONS: `--import=${DRIFT}`, SDK_DRIFT: 'none' })
  const client = await connect(t, task.url, ALICE, 'streamable-http')
  t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
  t.notMatch(task.child.output, /self-test failed/)
})
