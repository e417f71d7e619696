// `lambda` off (the default).
import t from 'tap'
import { devStackConfig, runProgram } from './program.js'

const FUNCTION = 'aws:lambda/function:Function'

// The default stack (no `lambda`): nothing of the request-scoped leg (infra/lambda.ts) is declared.
const plain = await runProgram(devStackConfig())

t.test('without lambda: nothing of the leg is declared', async (t) => {
  t.same(plain.ofType(FUNCTION), [])
  t.same(plain.ofType('aws:lambda/functionUrl:FunctionUrl'), [])
  t.equal(plain.outputs.lambdaUrl, undefined)
  t.equal(plain.outputs.lambdaClientCommands, undefined)
  t.same(plain.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').filter((alarm) => alarm.inputs.namespace === 'AWS/Lambda'), [])
})
