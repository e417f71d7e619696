// The deployment docs (docs/deploy.md, docs/stack-configuration.md, docs/operations.md) against the program: the
// resource count, how long each alarm takes to fire, and that every link, anchor and test they point at exists.
// The table of stack settings is checked in config.test.ts.
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { devStackConfig, runProgram } from './program.js'

const ROOT = new URL('../../', import.meta.url)
const PAGES = ['deploy.md', 'stack-configuration.md', 'operations.md']
const page = (name: string) => readFileSync(new URL(`docs/${name}`, ROOT), 'utf8')
/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')

const run = await runProgram(devStackConfig())

t.test('deploy.md gives the number of resources the default stack declares', async (t) => {
  // Components group resources and create nothing in AWS; awsx's VPC is one here, its ~20 children counted apart.
  const components = /^(mcp:infra:|pulumi:pulumi:Stack$|awsx:ec2:Vpc$)/
  const declared = run.resources.filter((resource) => !components.test(resource.type)).length
  t.match(page('deploy.md'), `declares **${declared} resources** of its own`)
})

t.test('operations.md says how long each alarm takes to fire, as the program sets it', async (t) => {
  const text = page('operations.md')
  const alarms = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm')
  t.equal(alarms.length, 7)
  for (const alarm of alarms) {
    const name = alarm.name.replace(/^mcp-/, '')
    const minutes = (alarm.inputs.period * alarm.inputs.evaluationPeriods) / 60
    const row = text.split('\n').find((line) => line.startsWith(`| \`${name}\` |`))
    t.ok(row, `${name} has a row`)
    t.equal(row?.split('|')[3]?.trim(), `${minutes} min`, `${name} fires after ${minutes} min`)
  }
  t.match(text, '### Deployment failed', 'and the deployment event')
})

t.test('the pages speak to users: no issue numbers, dated runs or paths outside the repository', async (t) => {
  for (const name of PAGES) {
    const text = page(name)
    t.notMatch(text, /\bissues? \d+|#\d+\b/i, `${name}: no issue numbers`)
    t.notMatch(text, /\.\.\/shared|\]\(\.\.\/\.\./, `${name}: no path outside the repository`)
    t.notMatch(text, /(?<!MCP\s)\b20\d\d-\d\d-\d\d\b|\b\d\d-\d\d \d\d:\d\d\b/, `${name}: no dated runs (the protocol version MCP 2026-07-28 aside)`)
  }
})

t.test('every link, anchor and test file the pages name exists', async (t) => {
  for (const name of PAGES) {
    const text = page(name)
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target!)) continue
      const [file, fragment] = target!.split('#')
      const linked = file ? new URL(`docs/${file}`, ROOT) : new URL(`docs/${name}`, ROOT)
      t.ok(existsSync(linked), `${name} → ${target}`)
      if (fragment && existsSync(linked)) {
        const headings = readFileSync(linked, 'utf8').split('\n').filter((line) => line.startsWith('#')).map((line) => anchor(line.replace(/^#+/, '')))
        t.ok(headings.includes(fragment), `${name} → #${fragment}`)
      }
    }
    for (const [path] of text.matchAll(/\btest\/[\w/.-]+\.test\.ts\b/g)) t.ok(existsSync(new URL(path, ROOT)), `${name} names ${path}`)
    for (const [path] of text.matchAll(/`((?:infra|examples)\/[\w/.-]+\.\w+)`/g)) t.ok(existsSync(new URL(path.slice(1, -1), ROOT)), `${name} names ${path}`)
  }
})
