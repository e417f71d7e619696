// `lambda: true`: the request-scoped leg (infra/lambda.ts) beside the service, with and without the cache.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as pulumi from '@pulumi/pulumi'
import semver from 'semver'
import t from 'tap'
import infraConfig from '../../infra/config.js'
import lambdaLeg from '../../infra/lambda.js'
import { devStackConfig, runProgram } from './program.js'

const { LAMBDA_BUNDLE, ORIGIN_SECRET_HEADER, functionCode } = lambdaLeg
const { parseConfig } = infraConfig

const ROOT = new URL('../../', import.meta.url).pathname
const FUNCTION = 'aws:lambda/function:Function'
const TOOL_SECRETS = {
  WEATHER_API_KEY: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:weather-AbCdEf',
  SEARCH_API_KEY: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:json-search-AbCdEf:apiKey:AWSPREVIOUS:',
}
const run = await runProgram({ ...devStackConfig(), lambda: 'true', toolSettings: '{"MCP_WEATHER_TIMEOUT_MS":"3000"}', toolSecrets: JSON.stringify(TOOL_SECRETS) })

/** Pulumi's marker of a secret value, as a program's secret inputs reach the mocks. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d'
const isSecret = (value: any) => value?.[SECRET_SIG] === '1b47061264138c4ac30d75fd1eb44270'
/** The value of an input the program made secret; undefined if it did not. */
const secretValue = (value: any) => (isSecret(value) ? value.value : undefined)
const environment = (fn: { inputs: Record<string, any> }) => secretValue(fn.inputs.environment).variables as Record<string, string>

t.test('the function: ARM64, the bundle of npm run build:lambda, reserved concurrency, its timeout and memory', async (t) => {
  const fn = run.one(FUNCTION)
  t.same(fn.inputs.architectures, ['arm64'])
  t.equal(fn.inputs.handler, 'index.handler')
  const target = /target: 'node(\d+)'/.exec(readFileSync(join(ROOT, 'scripts/build-lambda.mjs'), 'utf8'))?.[1] ?? ''
  t.equal(fn.inputs.runtime, `nodejs${target}.x`, 'the Node.js runtime the bundle targets (esbuild in scripts/build-lambda.mjs)')
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
  t.ok(semver.subset(target, engines), `Node ${target} is inside the supported range ${engines}`)
  t.equal(fn.inputs.reservedConcurrentExecutions, 50)
  t.equal(fn.inputs.timeout, 300)
  t.equal(fn.inputs.memorySize, 1024)
  const assets = await functionCode('/repo').assets
  t.same(Object.keys(assets), ['index.mjs'], 'the zip holds one file, the handler module')
  t.equal(await (assets['index.mjs'] as pulumi.asset.FileAsset).path, `/repo/${LAMBDA_BUNDLE}`, 'the bundle of npm run build:lambda')
  t.notOk(fn.inputs.vpcConfig, 'outside a VPC without the cache')
})

t.test('its environment: stateless by construction, keys read from Secrets Manager, sessions named, the origin secret set', async (t) => {
  t.ok(isSecret(run.one(FUNCTION).inputs.environment), 'the environment is a secret in the stack’s state')
  const env = environment(run.one(FUNCTION))
  t.equal(env.NODE_ENV, 'production')
  t.match(env.MCP_API_KEYS, /^current-value-of:arn:aws:secretsmanager:.*mcp-api-keys/, 'the keys’ current value, as the tasks read them')
  t.equal(env.MCP_SESSION_URL, 'https://d111111abcdef8.cloudfront.net', 'refusals name the service’s URL')
  t.ok(run.generatedSecrets.includes(env.MCP_LAMBDA_ORIGIN_SECRET), 'a generated origin secret')
  t.notOk('REDIS_URL' in env, 'no Redis without the cache: limits are per instance (docs/serverless.md)')
  t.notOk('MCP_STATELESS' in env, 'the handler forces MCP_STATELESS itself')
  t.same(Object.keys(env).filter((name) => name.startsWith('MCP_OAUTH_') || name === 'MCP_PUBLIC_URL' || name === 'MCP_LAMBDA_PUBLIC_URL_PARAMETER'), [], 'OAuth off: no OAuth setting, no public URL to read')
  t.same(run.ofType('aws:ssm/parameter:Parameter'), [], 'and no parameter for it')
  t.equal(run.outputs.lambdaOAuthClientSetup, undefined)
  t.equal(env.MCP_WEATHER_TIMEOUT_MS, '3000', 'a tool setting, as the tasks get it')
  t.equal(env.WEATHER_API_KEY, `current-value-of:${TOOL_SECRETS.WEATHER_API_KEY}`, 'a tool secret’s current value')
  t.equal(env.SEARCH_API_KEY, 'json-value-of:arn:aws:secretsmanager:us-east-1:123456789012:secret:json-search-AbCdEf@AWSPREVIOUS', 'a JSON key of the version asked for, as ECS reads it')
})

t.test('its function URL streams, is public at the URL level only, and CloudFront adds the secret the handler checks', async (t) => {
  const url = run.one('aws:lambda/functionUrl:FunctionUrl')
  t.equal(url.inputs.invokeMode, 'RESPONSE_STREAM')
  t.equal(url.inputs.authorizationType, 'NONE', 'OAC would need a body hash MCP clients do not send')
  const permissions = run.ofType('aws:lambda/permission:Permission').map((permission) => permission.inputs)
  t.same(
    permissions.map(({ action, principal, functionUrlAuthType, invokedViaFunctionUrl }) => ({ action, principal, functionUrlAuthType, invokedViaFunctionUrl })).sort((a, b) => a.action.localeCompare(b.action)),
    [
      { action: 'lambda:InvokeFunction', principal: '*', functionUrlAuthType: undefined, invokedViaFunctionUrl: true },
      { action: 'lambda:InvokeFunctionUrl', principal: '*', functionUrlAuthType: 'NONE', invokedViaFunctionUrl: undefined },
    ],
    'the URL may be called, and the function invoked only through it',
  )
  const distribution = run.ofType('aws:cloudfront/distribution:Distribution').find((resource) => resource.name === 'mcp-lambda')!
  t.ok(isSecret(distribution.inputs.origins), 'the origins (with the secret header) are a secret in the stack’s state')
  const [origin] = secretValue(distribution.inputs.origins)
  t.equal(origin.domainName, 'mcp-lambda-id.lambda-url.us-east-1.on.aws')
  t.equal(origin.customOriginConfig.originProtocolPolicy, 'https-only')
  t.same(origin.customHeaders, [{ name: ORIGIN_SECRET_HEADER, value: environment(run.one(FUNCTION)).MCP_LAMBDA_ORIGIN_SECRET }])
  t.ok(origin.customOriginConfig.originReadTimeout * 1000 > 2 * 15_000, 'two heartbeats fit in CloudFront’s read timeout')
  t.equal(distribution.inputs.defaultCacheBehavior.compress, false)
  t.equal(distribution.inputs.defaultCacheBehavior.viewerProtocolPolicy, 'https-only')
})

t.test('its logs have retention, and its role may write them and nothing else', async (t) => {
  const fn = run.one(FUNCTION)
  const group = run.ofType('aws:cloudwatch/logGroup:LogGroup').find((resource) => resource.name === 'mcp-lambda')!
  t.equal(group.inputs.retentionInDays, 30)
  t.equal(fn.inputs.loggingConfig.logGroup, group.inputs.name)
  t.ok(fn.dependencies.includes('aws:cloudwatch/logGroup:LogGroup::mcp-lambda'), 'created before the function, so Lambda never makes one without retention')
  const policies = run.ofType('aws:iam/rolePolicy:RolePolicy').filter((policy) => policy.name.startsWith('mcp-lambda'))
  t.equal(policies.length, 1)
  t.same(JSON.parse(policies[0].inputs.policy).Statement.map((statement: { Action: string[] }) => statement.Action), [['logs:CreateLogStream', 'logs:PutLogEvents']])
  t.equal(run.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter((attachment) => attachment.name.startsWith('mcp-lambda')).length, 0, 'no VPC access without the cache')
})

t.test('errors and throttles alarm on the stack’s topic, which lets their alarms publish', async (t) => {
  const alarms = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').filter((alarm) => alarm.inputs.namespace === 'AWS/Lambda')
  t.same(alarms.map((alarm) => alarm.inputs.metricName).sort(), ['Errors', 'Throttles'])
  const topic = run.one('aws:sns/topic:Topic')
  for (const alarm of alarms) {
    t.same(alarm.inputs.alarmActions, [topic.state.arn])
    t.equal(alarm.inputs.dimensions.FunctionName, run.one(FUNCTION).inputs.name)
    t.equal(alarm.inputs.threshold, 0)
  }
  const statements = JSON.parse(run.one('aws:sns/topicPolicy:TopicPolicy').inputs.policy).Statement as { Principal: { Service: string }; Condition: { ArnEquals: { 'aws:SourceArn': string[] } } }[]
  const cloudwatch = statements.find((statement) => statement.Principal.Service === 'cloudwatch.amazonaws.com')!
  for (const alarm of alarms) t.ok(cloudwatch.Condition.ArnEquals['aws:SourceArn'].includes(alarm.state.arn), `${alarm.name} may publish`)
})

t.test('outputs: the leg’s URL and ready-to-paste commands for it, with the key as a placeholder', async (t) => {
  t.equal(run.outputs.lambdaUrl, 'https://d-mcp-lambda.cloudfront.net', 'its own distribution’s URL')
  t.same(run.resources.filter((resource) => resource.type.startsWith('aws:apigateway/')), [], 'no REST API unless lambdaRestApi')
  t.equal(run.outputs.lambdaRestApiUrl, undefined)
  const commands = run.outputs.lambdaClientCommands as Record<string, string>
  t.match(commands.inspector, 'npx @modelcontextprotocol/inspector@2.12.0 --cli https://d-mcp-lambda.cloudfront.net/mcp --transport http --protocol-era modern --header "Authorization: Bearer <key>"')
  t.match(commands.mcpRemote, '/mcp --transport http-only --protocol auto')
  t.match(commands.curl, '"MCP-Protocol-Version: 2026-07-28"')
  for (const secret of run.generatedSecrets) t.notMatch(JSON.stringify(run.outputs), secret, 'no generated secret in an output')
})

t.test('configuration checks name the setting', async (t) => {
  const problem = (values: Record<string, string>) => {
    try {
      parseConfig({ lambda: 'true', ...values })
      return ''
    } catch (error) {
      return (error as Error).message
    }
  }
  t.match(problem({ lambdaTimeoutSeconds: '901' }), /→ at lambdaTimeoutSeconds/, 'Lambda’s 15-minute limit')
  t.match(problem({ lambdaTimeoutSeconds: '20' }), /must exceed 2 × heartbeatMs, or every streamed call ends before its second heartbeat\n {2}→ at lambdaTimeoutSeconds/)
  t.match(problem({ lambdaMemoryMb: '64' }), /→ at lambdaMemoryMb/)
  t.match(problem({ heartbeatMs: '40000', idleTimeoutSeconds: '100' }), /→ at originReadTimeoutSeconds/, 'CloudFront in front of the function must outlast two heartbeats')
  t.equal(problem({}), '')
})
