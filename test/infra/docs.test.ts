// The deployment docs against the program: the resource count in docs/deploy.md and how long each alarm takes to
// fire in docs/operations.md. The table of stack settings is checked in config.test.ts; links, anchors, named files
// and what user docs must not hold are checked for every page, these included, by test/docs/docs.test.ts.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { devStackConfig, runProgram } from './program.js'

const ROOT = new URL('../../', import.meta.url)
const page = (name: string) => readFileSync(new URL(`docs/${name}`, ROOT), 'utf8')

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
