// `lambdaRestApi: true`: an API Gateway REST API streaming from the request-scoped leg's function (infra/rest-api.ts).
import t from 'tap'
import infraConfig from '../../infra/config.js'
import { devStackConfig, runProgram } from './program.js'

const { parseConfig } = infraConfig
const run = await runProgram({ ...devStackConfig(), lambda: 'true', lambdaRestApi: 'true' })
const FUNCTION = 'aws:lambda/function:Function'

t.test('the integration streams from the function: a Lambda proxy integration in STREAM mode, as long as the function may run', async (t) => {
  const fn = run.one(FUNCTION)
  const integration = run.one('aws:apigateway/integration:Integration')
  t.equal(integration.inputs.type, 'AWS_PROXY')
  t.equal(integration.inputs.integrationHttpMethod, 'POST')
  t.equal(integration.inputs.responseTransferMode, 'STREAM')
  t.equal(integration.inputs.uri, fn.state.responseStreamingInvokeArn, 'invoked with InvokeWithResponseStream')
  t.match(integration.inputs.uri, /\/2021-11-15\/functions\/.*\/response-streaming-invocations$/)
  t.equal(integration.inputs.timeoutMilliseconds, fn.inputs.timeout * 1000, 'the function’s timeout')
  t.ok(integration.inputs.timeoutMilliseconds <= 900_000, 'within the streaming integration’s 15 minutes')
})

t.test('every path and method reaches the function, which authenticates each request itself', async (t) => {
  const api = run.one('aws:apigateway/restApi:RestApi')
  t.same(api.inputs.endpointConfiguration, { types: 'REGIONAL' }, 'regional: a 5-minute idle timeout, no edge-optimized 30 s')
  const resource = run.one('aws:apigateway/resource:Resource')
  t.equal(resource.inputs.pathPart, '{proxy+}')
  t.equal(resource.inputs.parentId, api.state.rootResourceId)
  const method = run.one('aws:apigateway/method:Method')
  t.same([method.inputs.httpMethod, method.inputs.authorization, method.inputs.resourceId], ['ANY', 'NONE', resource.id])
})

t.test('only this API may invoke the function through the new permission', async (t) => {
  const api = run.one('aws:apigateway/restApi:RestApi')
  const permission = run.ofType('aws:lambda/permission:Permission').find((p) => p.inputs.principal === 'apigateway.amazonaws.com')!
  t.equal(permission.inputs.action, 'lambda:InvokeFunction')
  t.equal(permission.inputs.sourceArn, `${api.state.executionArn}/*`)
  t.equal(permission.inputs.function, run.one(FUNCTION).inputs.name)
})

t.test('a stage serves a deployment that follows the integration; the outputs name its URL and commands', async (t) => {
  const deployment = run.one('aws:apigateway/deployment:Deployment')
  const integration = run.one('aws:apigateway/integration:Integration')
  t.equal(deployment.inputs.triggers.integration, integration.id, 'redeployed when the integration is replaced')
  t.ok(deployment.dependencies.includes(`aws:apigateway/integration:Integration::${integration.name}`))
  const stage = run.one('aws:apigateway/stage:Stage')
  t.equal(stage.inputs.deployment, deployment.id)
  t.equal(stage.inputs.stageName, 'live')
  t.equal(run.outputs.lambdaRestApiUrl, stage.state.invokeUrl, 'the stage URL (the default base path adds nothing)')
  t.match((run.outputs.lambdaRestApiClientCommands as Record<string, string>).inspector, `--cli ${stage.state.invokeUrl}/mcp --transport http --protocol-era modern`)
  t.equal(run.outputs.lambdaUrl, 'https://d-mcp-lambda.cloudfront.net', 'the CloudFront URL stays')
})

t.test('its 5xx answers alarm on the stack’s topic, which lets the alarm publish', async (t) => {
  const api = run.one('aws:apigateway/restApi:RestApi')
  const alarm = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').find((resource) => resource.inputs.namespace === 'AWS/ApiGateway')!
  t.equal(alarm.inputs.metricName, '5XXError')
  t.same(alarm.inputs.dimensions, { ApiName: api.inputs.name, Stage: 'live' }, 'the API and the stage clients call')
  t.same([alarm.inputs.statistic, alarm.inputs.threshold, alarm.inputs.period, alarm.inputs.comparisonOperator], ['Sum', 0, 60, 'GreaterThanThreshold'], 'any 5xx in a minute')
  const topic = run.one('aws:sns/topic:Topic')
  t.same(alarm.inputs.alarmActions, [topic.state.arn])
  const statements = JSON.parse(run.one('aws:sns/topicPolicy:TopicPolicy').inputs.policy).Statement as { Principal: { Service: string }; Condition: { ArnEquals: { 'aws:SourceArn': string[] } } }[]
  const cloudwatch = statements.find((statement) => statement.Principal.Service === 'cloudwatch.amazonaws.com')!
  t.ok(cloudwatch.Condition.ArnEquals['aws:SourceArn'].includes(alarm.state.arn), 'it may publish')
})

t.test('configuration checks name the setting', async (t) => {
  const problem = (values: Record<string, string>) => {
    try {
      parseConfig(values)
      return ''
    } catch (error) {
      return (error as Error).message
    }
  }
  t.match(problem({ lambdaRestApi: 'true' }), /needs lambda: true[^\n]*\n {2}→ at lambdaRestApi/)
  t.match(problem({ lambda: 'true', lambdaRestApi: 'true', oauthIssuer: 'https://issuer.example.com' }), /not with OAuth[^\n]*\n {2}→ at lambdaRestApi/)
  t.equal(problem({ lambda: 'true', lambdaRestApi: 'true' }), '')
})
