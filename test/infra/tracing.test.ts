// `tracingEnabled: true`: the ADOT collector beside the app in every task, the app's standard OTEL_* settings
// pointing at it, and the task role allowed to put trace segments and nothing else. Without tracing nothing of it
// is declared: test/infra/stack.test.ts.
import t from 'tap'
import { parse } from 'yaml'
import { appContainer, containers, devStackConfig, environmentOf, runProgram } from './program.js'

const run = await runProgram({ ...devStackConfig(), tracingEnabled: 'true', tracingSampleRatio: '0.25' })
const { definition: app, env } = appContainer(run)
const all = containers(run)
const collector = all.find((container) => container.name === 'aws-otel-collector')!
const collectorConfig = parse(environmentOf(collector).AOT_CONFIG_CONTENT!) as Record<string, any>
const taskDefinition = run.one('aws:ecs/taskDefinition:TaskDefinition').inputs
const taskRole = run.ofType('aws:iam/role:Role').find((role) => role.name.endsWith('-task'))!
const taskRolePolicies = run.ofType('aws:iam/rolePolicy:RolePolicy').filter((policy) => policy.inputs.role === taskRole.id)

t.test('the task runs the app and the collector; only the app is essential and serves the load balancer', async (t) => {
  t.same(all.map((container) => container.name), ['mcp', 'aws-otel-collector'])
  t.equal(app.essential, true)
  t.equal(collector.essential, false, 'a stopped collector never stops the task')
  t.same(run.one('aws:ecs/service:Service').inputs.loadBalancers.map((target: { containerName: string }) => target.containerName), ['mcp'])
})

t.test('neither container waits for the other: the app starts even when the collector cannot', async (t) => {
  for (const container of all) t.notOk('dependsOn' in container, `${container.name} has no dependsOn`)
})

t.test('the collector image is pinned to an exact release of the ADOT collector from the public ECR gallery', async (t) => {
  t.match(collector.image, /^public\.ecr\.aws\/aws-observability\/aws-otel-collector:v\d+\.\d+\.\d+$/)
  t.notMatch(collector.image, /latest/)
})

t.test('the collector runs hardened and small: non-root, read-only root filesystem, no port published, restarted if it exits', async (t) => {
  t.equal(collector.user, '4317', 'the image\'s own unprivileged user')
  t.equal(collector.readonlyRootFilesystem, true)
  t.notOk('portMappings' in collector, 'OTLP on the task\'s loopback only')
  t.match(collector.restartPolicy, { enabled: true })
  t.ok(collector.memoryReservation > 0 && collector.memoryReservation <= Number(taskDefinition.memory) / 4, `memory reservation ${collector.memoryReservation} MiB of ${taskDefinition.memory}`)
  t.notOk('memory' in collector, 'a soft reservation, no hard limit that would kill it on a burst')
  t.ok(collector.cpu > 0 && collector.cpu <= Number(taskDefinition.cpu) / 8, `cpu ${collector.cpu} of ${taskDefinition.cpu}`)
  t.equal(app.cpu + collector.cpu, Number(taskDefinition.cpu), 'the app holds the rest of the task\'s CPU shares')
})

t.test('the collector logs to the stack\'s log group under its own stream prefix, never blocking', async (t) => {
  const own = collector.logConfiguration.options
  const apps = app.logConfiguration.options
  t.equal(collector.logConfiguration.logDriver, 'awslogs')
  t.equal(own['awslogs-group'], apps['awslogs-group'], 'the log group the execution role may write')
  t.equal(own['awslogs-stream-prefix'], 'aws-otel-collector')
  t.not(own['awslogs-stream-prefix'], apps['awslogs-stream-prefix'])
  t.equal(own.mode, 'non-blocking')
})

t.test('the app gets the standard OTEL_* settings: OTLP/HTTP to the collector, parent-based ratio sampling', async (t) => {
  t.match(env, {
    OTEL_SERVICE_NAME: env.MCP_EMF_SERVICE_NAME,
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
  })
  t.equal(env.OTEL_SERVICE_NAME, 'mcp-fargate-test', 'the stack\'s name, as on its CloudWatch metrics')
})

t.test('the collector takes its configuration from AOT_CONFIG_CONTENT and receives OTLP/HTTP where the app sends it, on the loopback', async (t) => {
  t.notOk('command' in collector, 'no --config: AOT_CONFIG_CONTENT is read instead of the image\'s default file')
  t.same(collectorConfig.receivers, { otlp: { protocols: { http: { endpoint: '127.0.0.1:4318' } } } }, 'HTTP only, no gRPC port')
  t.equal(`http://${collectorConfig.receivers.otlp.protocols.http.endpoint}`, env.OTEL_EXPORTER_OTLP_ENDPOINT)
})

t.test('traces: memory-bounded, named after the ECS task by the resource detector, batched, to X-Ray', async (t) => {
  const { traces } = collectorConfig.service.pipelines
  t.same(traces, { receivers: ['otlp'], processors: ['memory_limiter', 'resourcedetection', 'batch'], exporters: ['awsxray'] })
  t.same(collectorConfig.processors.resourcedetection.detectors, ['ecs'], 'cluster, task ARN, family and revision from the task metadata endpoint')
  t.equal(collectorConfig.processors.resourcedetection.override, false, 'what the app says about itself wins')
  t.match(collectorConfig.processors.memory_limiter, { check_interval: '1s', limit_mib: Number })
  t.ok(collectorConfig.processors.memory_limiter.limit_mib < collector.memoryReservation, 'the heap bound fits the reservation')
  t.equal(collectorConfig.exporters.awsxray.region, 'us-east-1')
  t.same(collectorConfig.exporters.awsxray.indexed_attributes, ['mcp.method.name', 'gen_ai.tool.name', 'mcp.session.id', 'error.type'], 'searchable in X-Ray')
  t.notOk('telemetry' in collectorConfig.exporters.awsxray, 'no telemetry records: no PutTelemetryRecords needed')
})

t.test('metrics: EMF on stdout into the app\'s namespace with its ServiceName dimension, no roll-ups', async (t) => {
  const { metrics } = collectorConfig.service.pipelines
  t.same(metrics, { receivers: ['otlp'], processors: ['memory_limiter', 'attributes/service', 'batch'], exporters: ['awsemf'] })
  t.same(collectorConfig.exporters.awsemf, { region: 'us-east-1', namespace: env.MCP_EMF_NAMESPACE, output_destination: 'stdout', dimension_rollup_option: 'NoDimensionRollup' })
  t.same(collectorConfig.processors['attributes/service'].actions, [{ key: 'ServiceName', value: env.MCP_EMF_SERVICE_NAME, action: 'upsert' }])
})

t.test('every component the configuration defines is in a pipeline, and every one a pipeline names is defined', async (t) => {
  const pipelines = Object.values(collectorConfig.service.pipelines) as Record<string, string[]>[]
  for (const kind of ['receivers', 'processors', 'exporters']) {
    const used = new Set(pipelines.flatMap((pipeline) => pipeline[kind]!))
    t.same([...used].sort(), Object.keys(collectorConfig[kind]).sort(), kind)
  }
  t.same(Object.keys(collectorConfig).sort(), ['exporters', 'processors', 'receivers', 'service'], 'no extension, no connector')
})

t.test('the task role may put X-Ray trace segments and nothing else; the execution role is unchanged', async (t) => {
  t.equal(taskRolePolicies.length, 1, 'one policy on the task role')
  t.same(JSON.parse(taskRolePolicies[0]!.inputs.policy), { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['xray:PutTraceSegments'], Resource: '*' }] })
  t.equal(run.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').length, 0, 'no managed policy attached')
  const execution = run.ofType('aws:iam/rolePolicy:RolePolicy').find((policy) => policy.name.endsWith('-execution'))!
  t.notMatch(execution.inputs.policy, /xray|cloudwatch:|logs:CreateLogGroup/, 'metrics leave through the log group the execution role already writes')
  t.match(taskRole.inputs.description, 'X-Ray PutTraceSegments')
})

t.test('the service starts tasks only once the collector\'s permission exists', async (t) => {
  t.ok(run.one('aws:ecs/service:Service').dependencies.includes(`aws:iam/rolePolicy:RolePolicy::${taskRolePolicies[0]!.name}`))
})
