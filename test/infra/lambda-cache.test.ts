// `lambda: true` with the cache: the function's limits live in the same Redis as the tasks'.
import t from 'tap'
import { devStackConfig, runProgram } from './program.js'

const SECRET_SIG = '4dabf18193072939515e22adb298388d'
const cached = await runProgram({ ...devStackConfig(), lambda: 'true', cacheEnabled: 'true' })

t.test('with the cache: the function joins the tasks’ subnets and security group, and its limits live in Redis', async (t) => {
  const fn = cached.one('aws:lambda/function:Function')
  t.same(fn.inputs.vpcConfig.subnetIds, ['subnet-private-a', 'subnet-private-b'])
  const taskGroups = cached.one('aws:ecs/service:Service').inputs.networkConfiguration.securityGroups
  t.same(fn.inputs.vpcConfig.securityGroupIds, taskGroups, 'the group the cache admits')
  t.ok(fn.inputs.environment[SECRET_SIG], 'its environment is a secret in the stack’s state')
  t.match(fn.inputs.environment.value.variables.REDIS_URL, /^current-value-of:arn:aws:secretsmanager:.*cache-url/, 'the cache URL’s current value, as the tasks read it')
  t.ok(cached.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').some((attachment) => attachment.inputs.policyArn.endsWith('AWSLambdaVPCAccessExecutionRole')), 'it may manage its network interfaces')
})
