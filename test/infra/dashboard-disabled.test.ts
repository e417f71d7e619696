// `dashboardEnabled: false` leaves the dashboard out and nothing else.
import t from 'tap'
import { runProgram } from './program.js'

const run = await runProgram({ dashboardEnabled: 'false' })

t.test('disabling the dashboard in config removes it and its outputs, and keeps the alarms', async (t) => {
  t.equal(run.ofType('aws:cloudwatch/dashboard:Dashboard').length, 0)
  t.equal(run.ofType('mcp:infra:Dashboard').length, 0)
  t.equal(run.outputs.dashboardName, undefined)
  t.equal(run.outputs.dashboardUrl, undefined)
  t.equal(run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').length, 7)
})
