import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ensureBuilt } from '../helpers/build.js'
import { spawnChild, startHaproxy, startTask } from '../helpers/processes.js'
import { ALICE } from '../helpers/server.js'

/**
 * The official MCP conformance suite against a real server process with the conformance fixtures, for both
 * requirement sets it freezes. The suite is installed from runner/package-lock.json into runner/node_modules
 * (ignored by git) and runs on the tests' own Node (it needs 22 or later, inside package.json's engines).
 * The suite's CLI sends no headers of its own, so HAProxy (the tests' stand-in for the load balancer) sits in
 * front of the server and adds the key to every request, as an authenticating gateway would.
 */

const RUNNER = join(import.meta.dirname, 'runner')
const SUITE = join(RUNNER, 'node_modules/@modelcontextprotocol/conformance')
const REVISIONS = ['2025-11-25', '2026-07-28'] as const
const RUN_LIMIT_MS = 180_000
/** The only group a baselined check may be in (test/conformance/baseline.yaml explains it). */
const GROUPS = ['tasks']

type Status = 'SUCCESS' | 'INFO' | 'SKIPPED' | 'WARNING' | 'FAILURE'
/** A check's outcome when its id occurs more than once in a scenario: the most severe, as the suite's own baseline reads it. */
const SEVERITY: Status[] = ['SUCCESS', 'INFO', 'SKIPPED', 'WARNING', 'FAILURE']
const passes = (status: Status) => status === 'SUCCESS' || status === 'INFO'

interface Check {
  id: string
  status: Status
  errorMessage?: string
}

/** Installs the pinned suite unless runner/node_modules already holds exactly it. */
function ensureRunner(): void {
  const lock = JSON.parse(readFileSync(join(RUNNER, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> }
  const installed = (path: string) => (existsSync(join(RUNNER, path, 'package.json')) ? (JSON.parse(readFileSync(join(RUNNER, path, 'package.json'), 'utf8')) as { version: string }).version : undefined)
  const suite = 'node_modules/@modelcontextprotocol/conformance'
  if (installed(suite) === lock.packages[suite].version) return
  // stdout is this file's TAP stream: npm's own report is kept for the error.
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: RUNNER, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 300_000 })
  if (result.status !== 0) throw new Error(`npm ci in ${RUNNER} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stdout}`)
}

/** `scenario:check-id` → its group, for one revision of baseline.yaml. */
function baselineOf(revision: string): Map<string, string> {
  const file = parse(readFileSync(join(import.meta.dirname, 'baseline.yaml'), 'utf8')) as Record<string, Record<string, Record<string, string[]>>>
  const entries = new Map<string, string>()
  for (const [group, scenarios] of Object.entries(file[revision] ?? {})) {
    for (const [scenario, checks] of Object.entries(scenarios)) for (const check of checks) entries.set(`${scenario}:${check}`, group)
  }
  return entries
}

/** Every server scenario a requirement set runs, scored or not (the suite's own requirements/<revision>.yaml). */
function scenariosOf(revision: string): string[] {
  const set = parse(readFileSync(join(SUITE, 'requirements', `${revision}.yaml`), 'utf8')) as { server: string[]; not_scored: { scenario: string; leg: string }[] }
  return [...set.server, ...set.not_scored.filter((entry) => entry.leg === 'server').map((entry) => entry.scenario)]
}

/** Each scenario's checks from the CLI's output directory (`<dir>/server-<scenario>-<timestamp>/checks.json`). */
function resultsIn(dir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>()
  for (const entry of readdirSync(dir)) {
    const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '')
    const file = join(dir, entry, 'checks.json')
    results.set(scenario, existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Check[]) : [])
  }
  return results
}

ensureBuilt()
ensureRunner()

t.test('the MCP conformance suite passes against the server with its fixtures, except the listed baseline', async (t) => {
  const task = await startTask(t, { NODE_ENV: 'test', MCP_PEER_PORT: '0', MCP_CONFORMANCE_FIXTURES: '1', LOG_LEVEL: 'warn' })
  const gateway = await startHaproxy(t, [task], { setHeaders: { Authorization: `Bearer ${ALICE}` } })

  for (const revision of REVISIONS) {
    t.test(`requirement set ${revision}`, async (t) => {
      const output = mkdtempSync(join(tmpdir(), `conformance-${revision}-`))
      t.teardown(() => rmSync(output, { recursive: true, force: true }))
      // NODE_OPTIONS cleared: tap's loaders are for this test, not for the suite's CLI.
      const cli = spawnChild(t, process.execPath, [join(SUITE, 'dist/index.js'), 'server', '--url', `${gateway.url}/mcp`, '--requirements', revision, '--output-dir', output], { NODE_OPTIONS: '' })
      const limit = setTimeout(() => cli.signal('SIGKILL'), RUN_LIMIT_MS)
      const { code, signal } = await cli.exited
      clearTimeout(limit)
      // Exit 1 is "a scored scenario failed"; the checks below judge each check against the baseline.
      t.ok(signal === null && (code === 0 || code === 1), 'the suite ran to its end', { code, signal, output: cli.output.slice(-4_000) })

      const results = resultsIn(output)
      t.same(scenariosOf(revision).filter((scenario) => !results.get(scenario)?.length), [], 'every scenario of the requirement set reported its checks')
      const outcomes = new Map<string, Check>()
      for (const [scenario, checks] of results) {
        for (const check of checks) {
          const key = `${scenario}:${check.id}`
          const seen = outcomes.get(key)
          if (!seen || SEVERITY.indexOf(check.status) > SEVERITY.indexOf(seen.status)) outcomes.set(key, check)
        }
      }

      const baseline = baselineOf(revision)
      t.same([...new Set(baseline.values())].filter((group) => !GROUPS.includes(group)), [], `the baseline holds only the groups ${GROUPS.join(', ')}`)
      t.same([...baseline].filter(([key, group]) => group === 'tasks' && !key.startsWith('tasks-')), [], 'the tasks group holds tasks scenarios only')
      const failing = [...outcomes].filter(([, check]) => !passes(check.status))
      const unexpected = failing.filter(([key]) => !baseline.has(key)).map(([key, check]) => `${key} ${check.status}: ${check.errorMessage ?? ''}`)
      t.same(unexpected, [], 'no check fails outside the baseline')
      const stale = [...baseline.keys()].filter((key) => !outcomes.has(key) || passes(outcomes.get(key)!.status))
      t.same(stale, [], 'every baselined check still runs and still fails (remove an entry once it passes)')

      const count = (status: Status) => [...outcomes.values()].filter((check) => check.status === status).length
      const groups = GROUPS.map((group) => `${[...baseline.values()].filter((entry) => entry === group).length} ${group}`).join(', ')
      const summary = /Total: \d+ passed, \d+ failed/.exec(cli.output)?.[0] ?? 'no total printed'
      t.comment(
        `conformance ${revision}: ${outcomes.size} distinct checks: ${count('SUCCESS')} passed (+${count('INFO')} informational), ` +
          `${unexpected.length} failed, ${failing.length - unexpected.length} baselined (${groups}); the suite's own count, per check run: ${summary}`,
      )
    })
  }

  t.test('the suite caused no server error', async (t) => {
    t.notMatch(task.child.output, /"level":(50|60)/, 'no error or fatal log line')
  })
})
