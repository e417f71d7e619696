/**
 * `npm run bench` (full, ≈ 13 min on 2 cores) or `npm run bench -- --quick` (≈ 1 min): our server against
 * the SDK reference and the node:http limit. Writes bench/results/<stamp>.md and .json and prints the
 * markdown. It informs, it never fails: the exit code is 0 whatever the targets say.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runBenchmark } from './harness.js'
import { PROFILES } from './profiles.js'
import { environment, judge, markdown } from './report.js'
import { projectRoot } from './servers.js'

const profile = process.argv.includes('--quick') ? PROFILES.quick : PROFILES.full
const started = Date.now()
console.error(`benchmark (${profile.name}) starting`)
const results = await runBenchmark(profile, (line) => console.error(`[${Math.round((Date.now() - started) / 1000)} s] ${line}`))
const env = environment()
const report = markdown(results, env)
const dir = join(projectRoot(), 'bench', 'results')
mkdirSync(dir, { recursive: true })
const stamp = `${env.date.replace(/[:.]/g, '-')}-${profile.name}`
writeFileSync(join(dir, `${stamp}.md`), report)
writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify({ ...env, ...results, targets: judge(results) }, null, 2)}\n`)
console.log(report)
console.error(`written to bench/results/${stamp}.md and .json in ${Math.round((Date.now() - started) / 1000)} s`)
