import { spawnSync } from 'node:child_process'
import t from 'tap'
import { ALICE } from '../helpers/server.js'
import { counter, eventually, startTask } from '../helpers/processes.js'
import { ensureBuilt } from '../helpers/build.js'

ensureBuilt()

// The pinned devDependency (@modelcontextprotocol/inspector 2.12.0), run as users paste it from the README.
const task = await startTask(t)

function inspector(url: string, transport: 'sse' | 'http', key: string, method: string[], era: string[] = []) {
  return spawnSync('npx', ['mcp-inspector', '--cli', url, '--transport', transport, '--header', `Authorization: Bearer ${key}`, ...era, ...method], {
    encoding: 'utf8',
    timeout: 60_000,
  })
}

for (const [transport, path] of [
  ['sse', '/sse'],
  ['http', '/mcp'],
] as const) {
  t.test(`Inspector CLI --transport ${transport}: tools/list and tools/call whoami`, async (t) => {
    const list = inspector(`${task.url}${path}`, transport, ALICE, ['--method', 'tools/list'])
    t.equal(list.status, 0, `tools/list exit code (stderr: ${list.stderr.slice(0, 300)})`)
    const names = (JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name)
    t.ok(names.includes('whoami'), `whoami listed among ${names.join(', ')}`)
    const call = inspector(`${task.url}${path}`, transport, ALICE, ['--method', 'tools/call', '--tool-name', 'whoami'])
    t.equal(call.status, 0, 'tools/call exit code')
    t.match(JSON.parse(call.stdout), { structuredContent: { principal: 'alice', sessionId: /^v1\./ } })
  })

  t.test(`Inspector CLI --transport ${transport} with a wrong key exits non-zero`, async (t) => {
    const wrong = inspector(`${task.url}${path}`, transport, 'wrong-secret-0123456789', ['--method', 'tools/list'])
    t.equal(wrong.error, undefined, 'finished by itself within the bound')
    t.not(wrong.status, 0, `exit code ${wrong.status}`)
    // It failed for the key, not for anything else: the Inspector reads our 401 as an auth challenge.
    t.match(wrong.stdout + wrong.stderr, /auth/i, 'failed on authentication')
    t.notMatch(wrong.stdout, /whoami/, 'listed nothing')
  })
}

/** The modern requests the task served so far, from its metrics (its audit lines are written asynchronously). */
const modernRequests = () => counter(task, 'mcp_modern_requests_total')

for (const era of ['legacy', 'auto', 'modern'] as const) {
  t.test(`Inspector CLI --protocol-era ${era} on /mcp: tools/list and tools/call whoami, in that era on the wire`, async (t) => {
    const before = await modernRequests()
    const flag = ['--protocol-era', era]
    const list = inspector(`${task.url}/mcp`, 'http', ALICE, ['--method', 'tools/list'], flag)
    t.equal(list.status, 0, `tools/list exit code (stderr: ${list.stderr.slice(0, 300)})`)
    t.ok((JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.some((tool) => tool.name === 'whoami'), 'whoami listed')
    const call = inspector(`${task.url}/mcp`, 'http', ALICE, ['--method', 'tools/call', '--tool-name', 'whoami'], flag)
    t.equal(call.status, 0, 'tools/call exit code')
    const identity = (JSON.parse(call.stdout) as { structuredContent: Record<string, unknown> }).structuredContent
    if (era === 'legacy') {
      t.match(identity, { principal: 'alice', sessionId: /^v1\./ }, 'a 2025 session')
      t.equal(await modernRequests(), before, 'no modern request reached the server')
    } else {
      t.match(identity, { principal: 'alice', client: { name: String } }, 'MCP 2026-07-28: the principal and the client')
      t.equal(identity.sessionId, undefined, 'no session')
      // Counted once each answer is written, which the Inspector may see first.
      t.ok(await eventually(async () => (await modernRequests()) >= before + 4), 'the server served modern requests (discover, list, discover, call)')
    }
  })
}

t.test('the wrong-key runs met only 401s and JSON 404s, and the server kept no session', async (t) => {
  // spawnSync held the event loop: let the server's log lines arrive.
  t.ok(await eventually(() => task.child.output.includes('"status":401')), 'the server logged the refusals')
  const lines = task.child.output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
  const refusals = lines.filter((line) => line.msg === 'request completed' && line.status >= 400)
  t.ok(refusals.some((line) => line.status === 401), 'the key was refused with 401')
  t.ok(refusals.every((line) => [401, 404].includes(line.status)), `only 401 and 404: ${[...new Set(refusals.map((line) => `${line.status} ${line.url}`))].join(', ')}`)
  t.notOk(task.child.output.includes(ALICE), 'no key in the logs')
  const health = await fetch(`${task.url}/metrics`)
  t.match(await health.text(), /^mcp_sessions_open\{transport="sse"\} 0$/m, 'no SSE session left open')
})
