/**
 * `npm run bench` (full, ≈ 25 min on 2 cores) or `npm run bench -- --quick` (≈ 2 min), either with
 * `--repetitions <n>` to shorten it: our server against a
 * build of an earlier commit (`--baseline <rev>`, default the commit before the SDK v2 port; `--no-baseline`
 * to leave it out), the SDK v1 and v2 reference servers and the node:http limit. Writes
 * bench/results/<stamp>.md and .json and prints the markdown. It informs, it never fails: the exit code is 0
 * whatever the targets say.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_BASELINE_REV, buildBaseline } from './baseline.js'
import { runBenchmark, type RunOptions } from './harness.js'
import { PROFILES } from './profiles.js'
import { environment, judge, markdown, requestScopedTargets, tokenTargets, tracingTargets } from './report.js'
import { projectRoot } from './servers.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    repetitions: { type: 'string' },
    baseline: { type: 'string', default: DEFAULT_BASELINE_REV },
    'no-baseline': { type: 'boolean', default: false },
  },
})
const chosen = args.quick ? PROFILES.quick : PROFILES.full
// Fewer repetitions of a profile when the machine has no time for all of them; the report prints the count.
const repetitions = args.repetitions === undefined ? chosen.repetitions : Number(args.repetitions)
if (!Number.isInteger(repetitions) || repetitions < 1) throw new Error(`--repetitions must be a whole number ≥ 1, not ${args.repetitions}`)
const profile = { ...chosen, repetitions }
const started = Date.now()
const progress = (line: string) => console.error(`[${Math.round((Date.now() - started) / 1000)} s] ${line}`)
console.error(`benchmark (${profile.name}) starting`)

const options: RunOptions = {}
if (!args['no-baseline']) {
  const rev = args.baseline
  try {
    options.baseline = await buildBaseline(rev, progress)
    progress(`baseline ${rev} (${options.baseline.commit.slice(0, 12)}) ready: ${options.baseline.entry}`)
  } catch (error) {
    const reason = (error as Error).message.split('\n').filter(Boolean).slice(0, 3).join(' / ')
    options.baselineSkipped = { rev, skipped: reason }
    progress(`!!!!! BASELINE ${rev} SKIPPED: it could not be built (${reason}); legacy SSE "no worse than before" will NOT be judged !!!!!`)
  }
}

const results = await runBenchmark(profile, progress, options)
const env = environment()
const report = markdown(results, env)
const dir = join(projectRoot(), 'bench', 'results')
mkdirSync(dir, { recursive: true })
const stamp = `${env.date.replace(/[:.]/g, '-')}-${profile.name}`
writeFileSync(join(dir, `${stamp}.md`), report)
writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify({ ...env, ...results, targets: judge(results), tokenTargets: tokenTargets(results), tracingTargets: tracingTargets(results), requestScopedTargets: requestScopedTargets(results) }, null, 2)}\n`)
console.log(report)
console.error(`written to bench/results/${stamp}.md and .json in ${Math.round((Date.now() - started) / 1000)} s`)
