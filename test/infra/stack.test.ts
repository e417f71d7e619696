// The dev stack (Pulumi.dev.yaml) under Pulumi mocks: each design §6 invariant of the deployment, one test each.
import * as pulumi from '@pulumi/pulumi'
import t from 'tap'
import infraConfig from '../../infra/config.js'
import { EGRESS_RULE, INGRESS_RULE, MOCK_ACCOUNT, MOCK_DIGEST, MOCK_ORIGIN_FACING_CIDRS, MOCK_VPC, SECURITY_GROUP, appContainer, containers, devStackConfig, runProgram } from './program.js'

const { STOP_MARGIN_MS } = infraConfig

const run = await runProgram(devStackConfig())
const { definition, env } = appContainer(run)
const targetGroup = run.one('aws:lb/targetGroup:TargetGroup').inputs
const service = run.one('aws:ecs/service:Service').inputs
const taskDefinition = run.one('aws:ecs/taskDefinition:TaskDefinition').inputs
const taskSecurityGroup = run.one(SECURITY_GROUP, 'mcp-task')
const albSecurityGroup = run.one(SECURITY_GROUP, 'mcp-alb')
const vpc = run.one('awsx:ec2:Vpc')

t.test('the target group keeps sessions on a task with an lb_cookie', async (t) => {
  t.match(targetGroup.stickiness, { enabled: true, type: 'lb_cookie' })
  t.ok(targetGroup.stickiness.cookieDuration > 0)
})

t.test('the ALB health check probes GET /health and expects 200', async (t) => {
  t.match(targetGroup.healthCheck, { enabled: true, path: '/health', protocol: 'HTTP', matcher: '200' })
  t.equal(targetGroup.port, Number(env.PORT), 'the target port is the port the app listens on')
  t.equal(targetGroup.targetType, 'ip', 'Fargate tasks register by IP')
})

t.test('the stop sequence as ECS runs it: deregistration delay, then SIGTERM, drain and exit well before SIGKILL', async (t) => {
  const drainMs = Number(env.MCP_DRAIN_MS)
  t.ok(drainMs > 0, 'the task is told its drain time')
  t.ok(definition.stopTimeout * 1000 >= drainMs + STOP_MARGIN_MS, `stopTimeout ${definition.stopTimeout}s ≥ drain ${drainMs / 1000}s + margin ${STOP_MARGIN_MS / 1000}s`)
  t.ok(definition.stopTimeout <= 120, 'ECS caps stopTimeout at 120 s on Fargate')
  t.ok(targetGroup.deregistrationDelay * 1000 > Number(env.MCP_HEARTBEAT_MS), 'in-flight requests get more than a heartbeat to finish before the ALB closes them')
  // The published figure (docs/deploy.md "Stopping a task"): the longest a task takes from "ECS decides to stop it" to gone.
  t.equal(targetGroup.deregistrationDelay + definition.stopTimeout, 50, 'total stop time with the defaults: 30 s + 20 s')
})

t.test('every health check probes /health (liveness), never /ready: readiness must not make ECS replace tasks', async (t) => {
  t.equal(targetGroup.healthCheck.path, '/health')
  t.equal(definition.healthCheck.command[0], 'CMD')
  t.match(definition.healthCheck.command.join(' '), `http://127.0.0.1:${env.PORT}/health`)
  t.notMatch(JSON.stringify(definition.healthCheck), /ready/)
  t.ok(definition.healthCheck.timeout < definition.healthCheck.interval)
})

t.test('awslogs never blocks the app: non-blocking mode with a buffer', async (t) => {
  t.match(definition.logConfiguration.options, { mode: 'non-blocking', 'max-buffer-size': /^\d+m$/ })
})

t.test('the task role trusts ECS tasks of this account only (aws:SourceAccount, aws:SourceArn); the execution role the documented plain trust', async (t) => {
  const trust = (suffix: string) => {
    const role = run.ofType('aws:iam/role:Role').find((role) => role.name.endsWith(suffix))!
    const [statement] = JSON.parse(role.inputs.assumeRolePolicy).Statement
    return statement
  }
  t.match(trust('-task'), { Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' })
  t.same(trust('-task').Condition, { StringEquals: { 'aws:SourceAccount': MOCK_ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:ecs:us-east-1:${MOCK_ACCOUNT}:*` } })
  t.same(trust('-execution'), { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' })
})

t.test('the service waits for the execution role policy, the security-group rules and the listeners', async (t) => {
  const dependencies = run.one('aws:ecs/service:Service').dependencies
  const names = (type: string) => run.ofType(type).map((resource) => `${type}::${resource.name}`)
  const needed = [...names('aws:iam/rolePolicy:RolePolicy'), ...names(INGRESS_RULE), ...names(EGRESS_RULE), ...names('aws:lb/listener:Listener'), 'aws:ecs/clusterCapacityProviders:ClusterCapacityProviders::mcp']
  for (const name of needed) t.ok(dependencies.includes(name), name)
})

t.test('the ALB idle timeout exceeds two heartbeats, and the app keeps connections open longer than the ALB', async (t) => {
  const idleMs = run.one('aws:lb/loadBalancer:LoadBalancer').inputs.idleTimeout * 1000
  t.ok(idleMs > 2 * Number(env.MCP_HEARTBEAT_MS), `idle ${idleMs} ms > 2 × heartbeat ${env.MCP_HEARTBEAT_MS} ms`)
  t.ok(Number(env.MCP_KEEP_ALIVE_TIMEOUT_MS) > idleMs, 'the app never closes a keep-alive socket the ALB may still reuse')
})

t.test('tasks run on Fargate in the private subnets without public IPs', async (t) => {
  t.same(service.capacityProviderStrategies, [{ capacityProvider: 'FARGATE', base: 2, weight: 1 }], 'on-demand only unless fargateSpotWeight is set')
  t.same(service.networkConfiguration.subnets, MOCK_VPC.privateSubnetIds)
  t.equal(service.networkConfiguration.assignPublicIp, false)
  t.same(service.networkConfiguration.securityGroups, [taskSecurityGroup.id])
  t.match(run.one('aws:lb/loadBalancer:LoadBalancer').inputs, { internal: true, subnets: MOCK_VPC.privateSubnetIds }, 'the ALB is internal: CloudFront is the only way in')
  t.match(vpc.inputs.subnetSpecs, [{ type: 'Public' }, { type: 'Private' }])
})

t.test('no task ingress from 0.0.0.0/0: only the ALB on the app port and the tasks themselves on the peer port', async (t) => {
  const taskIngress = run.ofType(INGRESS_RULE).filter((rule) => rule.inputs.securityGroupId === taskSecurityGroup.id)
  t.equal(taskIngress.length, 2)
  for (const rule of taskIngress) {
    t.notOk(rule.inputs.cidrIpv4 ?? rule.inputs.cidrIpv6 ?? rule.inputs.prefixListId, `${rule.name} admits no address range`)
  }
  const port = (p: string) => ({ ipProtocol: 'tcp', fromPort: Number(p), toPort: Number(p) })
  t.match(taskIngress, [{ inputs: { referencedSecurityGroupId: albSecurityGroup.id, ...port(env.PORT!) } }, { inputs: { referencedSecurityGroupId: taskSecurityGroup.id, ...port(env.MCP_PEER_PORT!) } }], 'ALB → app port, task → peer port')
  t.same(definition.portMappings.map((mapping: { containerPort: number }) => mapping.containerPort).sort(), [Number(env.PORT), Number(env.MCP_PEER_PORT)].sort())
})

t.test('the ALB admits only CloudFront\'s origin-facing servers and reaches only the task port', async (t) => {
  const ingress = run.ofType(INGRESS_RULE).filter((rule) => rule.inputs.securityGroupId === albSecurityGroup.id)
  t.same(ingress.map((rule) => [rule.inputs.prefixListId, rule.inputs.cidrIpv4, rule.inputs.fromPort]), [['pl-com.amazonaws.global.cloudfront.origin-facing', undefined, 80]], 'no address range at all')
  const egress = run.ofType(EGRESS_RULE).filter((rule) => rule.inputs.securityGroupId === albSecurityGroup.id)
  t.match(egress.map((rule) => rule.inputs), [{ referencedSecurityGroupId: taskSecurityGroup.id, fromPort: Number(env.PORT), toPort: Number(env.PORT) }])
  t.equal(egress.length, 1)
})

t.test('API keys and the session secret reach the container as Secrets Manager secrets, never as plain values', async (t) => {
  const secrets = run.ofType('aws:secretsmanager/secret:Secret')
  const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`
  t.same(definition.secrets, [
    { name: 'MCP_API_KEYS', valueFrom: arn('mcp-api-keys') },
    { name: 'MCP_SESSION_SECRET', valueFrom: arn('mcp-session') },
  ])
  t.same(secrets.map((secret) => secret.name).sort(), ['mcp-api-keys', 'mcp-session'])
  t.notOk('MCP_API_KEYS' in env || 'MCP_SESSION_SECRET' in env, 'no plain environment copy')
  t.equal(run.generatedSecrets.length, 2, 'both first values were generated')
  const everything = JSON.stringify(taskDefinition) + JSON.stringify(run.outputs)
  for (const secret of run.generatedSecrets) t.notOk(everything.includes(secret), 'a generated secret appears in no task definition or output')
  const versions = Object.fromEntries(run.ofType('aws:secretsmanager/secretVersion:SecretVersion').map((version) => [version.name, version.inputs.secretString]))
  for (const value of Object.values(versions)) t.match(value, { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig }, 'the value is a Pulumi secret: encrypted in the state')
  t.ok(versions['mcp-session'].value.length >= 32, 'the session secret has at least 32 characters')
  t.match(versions['mcp-api-keys'].value, /^ops:[A-Za-z0-9]{32,}$/, 'the first key is one name:secret entry')
})

t.test('the execution role and the task role are separate and least-privilege', async (t) => {
  const roles = run.ofType('aws:iam/role:Role')
  const execution = roles.find((role) => role.name === 'mcp-execution')!
  const task = roles.find((role) => role.name === 'mcp-task')!
  const roleArn = (name: string) => `arn:aws:mock:us-east-1:123456789012:iam/role/${name}`
  t.equal(taskDefinition.executionRoleArn, roleArn(execution.name))
  t.equal(taskDefinition.taskRoleArn, roleArn(task.name))
  t.not(taskDefinition.executionRoleArn, taskDefinition.taskRoleArn)
  const policies = run.ofType('aws:iam/rolePolicy:RolePolicy')
  t.same(policies.map((policy) => policy.inputs.role), [execution.id], 'only the execution role holds a policy')
  t.equal(run.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').length, 0, 'no broad managed policies')
  const statements = JSON.parse(policies[0]!.inputs.policy).Statement as { Action: string[]; Resource: string | string[] }[]
  for (const statement of statements) {
    if (statement.Resource === '*') t.same(statement.Action, ['ecr:GetAuthorizationToken'], 'only the ECR token call is unscoped')
    else t.notOk([statement.Resource].flat().includes('*'), `${statement.Action.join(',')} is scoped`)
  }
  const secretsStatement = statements.find((statement) => statement.Action.includes('secretsmanager:GetSecretValue'))!
  t.same(secretsStatement.Resource, definition.secrets.map((secret: { valueFrom: string }) => secret.valueFrom), 'reads exactly the two secrets')
})

t.test('the container is hardened: read-only root filesystem, non-root user 1000, init process', async (t) => {
  t.equal(definition.readonlyRootFilesystem, true)
  t.equal(definition.user, '1000')
  t.equal(definition.linuxParameters.initProcessEnabled, true)
  t.same(definition.mountPoints.map((mount: { containerPath: string }) => mount.containerPath), ['/tmp'], 'the only writable path is a scratch volume')
  t.same(taskDefinition.requiresCompatibilities, ['FARGATE'])
  t.equal(taskDefinition.networkMode, 'awsvpc')
})

t.test('logs go to a log group with a retention period', async (t) => {
  const logGroup = run.one('aws:cloudwatch/logGroup:LogGroup')
  t.equal(logGroup.inputs.retentionInDays, 30)
  t.match(definition.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': logGroup.name, 'awslogs-region': 'us-east-1' } })
  t.equal(run.outputs.logGroupName, logGroup.name)
})

t.test('the cluster has Container Insights', async (t) => {
  t.same(run.one('aws:ecs/cluster:Cluster').inputs.settings, [{ name: 'containerInsights', value: 'enabled' }])
})

t.test('deployments keep sessions up and roll back on failure', async (t) => {
  t.same(service.deploymentCircuitBreaker, { enable: true, rollback: true })
  t.equal(service.deploymentMinimumHealthyPercent, 100, 'no old task stops before its replacement is healthy')
  t.ok(service.deploymentMaximumPercent >= 200, 'a full set of new tasks can start beside the old ones')
  t.same(service.loadBalancers, [{ targetGroupArn: 'arn:aws:mock:us-east-1:123456789012:lb/targetGroup/mcp', containerName: definition.name, containerPort: Number(env.PORT) }])
})

t.test('the app gets the settings the design names, wired to the deployment', async (t) => {
  t.match(env, {
    NODE_ENV: 'production',
    NODE_OPTIONS: '--max-old-space-size=512',
    PORT: '3000',
    MCP_PEER_PORT: '3001',
    MCP_HEARTBEAT_MS: '15000',
    MCP_DRAIN_MS: '10000',
    MCP_MAX_SESSIONS: '1000',
    MCP_MAX_SESSIONS_PER_KEY: '100',
    MCP_PUBLIC_URL: run.outputs.url,
    MCP_TRUST_PROXY: [vpc.inputs.cidrBlock, ...MOCK_ORIGIN_FACING_CIDRS].join(','),
    MCP_EMF_NAMESPACE: 'MCP/Server',
    MCP_EMF_SERVICE_NAME: 'mcp-fargate-test',
  })
  t.notOk('REDIS_URL' in env, 'no cache configured, no REDIS_URL')
  t.notOk('MCP_BASE_PATH' in env, 'no base path configured')
  t.equal(run.ofType('aws:elasticache/replicationGroup:ReplicationGroup').length, 0)
})

t.test('without OAuth nothing of it is declared: no Cognito, no MCP_OAUTH_* setting, no OAuth output', async (t) => {
  t.equal(run.resources.filter((resource) => resource.type.startsWith('aws:cognito/')).length, 0)
  t.same(Object.keys(env).filter((name) => name.startsWith('MCP_OAUTH_')), [])
  for (const name of ['oauthIssuer', 'oauthClientId', 'oauthClientSetup', 'cognitoUserPoolId', 'cognitoDomainUrl']) t.equal(run.outputs[name], undefined, name)
})

t.test('without tracing nothing of it is declared: one container, no OTEL_* setting, no permission on the task role', async (t) => {
  t.same(containers(run).map((container) => container.name), ['mcp'])
  t.same(Object.keys(env).filter((name) => name.startsWith('OTEL_')), [])
  t.notOk('cpu' in definition, 'the app alone holds the task\'s CPU')
  const taskRole = run.ofType('aws:iam/role:Role').find((role) => role.name.endsWith('-task'))!
  t.same(run.ofType('aws:iam/rolePolicy:RolePolicy').filter((policy) => policy.inputs.role === taskRole.id), [])
  t.equal(taskRole.inputs.description, 'MCP app: no AWS permissions')
})

t.test('the image is built from the root Dockerfile into the stack\'s own ECR repository', async (t) => {
  const image = run.one('docker-build:index:Image').inputs
  const repositoryUrl = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${run.one('aws:ecr/repository:Repository').name}`
  t.match(image.tags, [new RegExp(`^${repositoryUrl}:ctx-[0-9a-f]{24}$`)], 'tagged with the hash of its build inputs (the repository is immutable)')
  const root = new URL('../../', import.meta.url).pathname.replace(/\/$/, '')
  t.same(image.context, { location: root })
  t.same(image.dockerfile, { location: `${root}/Dockerfile` })
  t.same(image.platforms, ['linux/amd64'])
  t.equal(image.push, true)
  t.match(image.registries, [{ address: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com', username: 'AWS' }], 'pushes with the registry\'s own credentials')
  t.equal(definition.image, `${repositoryUrl}@${MOCK_DIGEST}`, 'tasks pull the pushed image by digest')
})

t.test('autoscaling tracks CPU and open sessions per task (the app\'s EMF metric)', async (t) => {
  const target = run.one('aws:appautoscaling/target:Target').inputs
  t.match(target, { serviceNamespace: 'ecs', scalableDimension: 'ecs:service:DesiredCount', resourceId: 'service/mcp/mcp', minCapacity: 2, maxCapacity: 10 })
  const policies = run.ofType('aws:appautoscaling/policy:Policy').map((policy) => policy.inputs)
  t.equal(policies.length, 2)
  for (const policy of policies) t.match(policy, { policyType: 'TargetTrackingScaling', resourceId: target.resourceId })
  const cpu = policies.find((policy) => policy.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification)!
  t.equal(cpu.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType, 'ECSServiceAverageCPUUtilization')
  const sessions = policies.find((policy) => policy.targetTrackingScalingPolicyConfiguration.customizedMetricSpecification)!.targetTrackingScalingPolicyConfiguration
  t.same(sessions.customizedMetricSpecification, {
    namespace: env.MCP_EMF_NAMESPACE,
    metricName: 'OpenSessions',
    statistic: 'Average',
    dimensions: [{ name: 'ServiceName', value: env.MCP_EMF_SERVICE_NAME }],
  })
  t.ok(sessions.targetValue < Number(env.MCP_MAX_SESSIONS), 'scales out before a task reaches its session cap')
})

t.test('alarms watch unhealthy hosts, 5xx, CPU, memory and sessions near the cap, and notify the topic', async (t) => {
  const alarms = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((alarm) => alarm.inputs)
  const metric = (namespace: string, metricName: string) => alarms.find((alarm) => alarm.namespace === namespace && alarm.metricName === metricName)
  t.ok(metric('AWS/ApplicationELB', 'UnHealthyHostCount'), 'unhealthy hosts')
  t.ok(metric('AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count'), '5xx from tasks')
  t.ok(metric('AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count'), '5xx from the ALB')
  t.match(metric('AWS/ECS', 'CPUUtilization'), { dimensions: { ClusterName: 'mcp', ServiceName: 'mcp' } })
  t.match(metric('AWS/ECS', 'MemoryUtilization'), { dimensions: { ClusterName: 'mcp', ServiceName: 'mcp' } })
  const sessions = metric(env.MCP_EMF_NAMESPACE!, 'OpenSessions')!
  t.match(sessions, { statistic: 'Maximum', dimensions: { ServiceName: env.MCP_EMF_SERVICE_NAME } })
  t.ok(sessions.threshold > 0 && sessions.threshold < Number(env.MCP_MAX_SESSIONS), 'fires before the cap is reached')
  const topic = 'arn:aws:mock:us-east-1:123456789012:sns/topic/mcp'
  for (const alarm of alarms) t.same(alarm.alarmActions, [topic], `${alarm.metricName} notifies the topic`)
  t.equal(run.outputs.alarmTopicArn, topic)
})

t.test('HTTPS by default without a domain: CloudFront (default certificate) → VPC origin → internal ALB', async (t) => {
  const distribution = run.one('aws:cloudfront/distribution:Distribution').inputs
  const vpcOrigin = run.one('aws:cloudfront/vpcOrigin:VpcOrigin')
  t.match(distribution.viewerCertificate, { cloudfrontDefaultCertificate: true })
  t.equal(distribution.defaultCacheBehavior.viewerProtocolPolicy, 'https-only', 'a key never crosses the internet in clear, not even once before a redirect')
  t.match(distribution.defaultCacheBehavior, { cachePolicyId: 'policy-Managed-CachingDisabled', originRequestPolicyId: 'policy-Managed-AllViewerExceptHostHeader' })
  t.same([...distribution.defaultCacheBehavior.allowedMethods].sort(), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'])
  t.equal(vpcOrigin.inputs.vpcOriginEndpointConfig.arn, run.one('aws:lb/loadBalancer:LoadBalancer').state.arn)
  const [origin] = distribution.origins
  t.equal(origin.vpcOriginConfig.vpcOriginId, vpcOrigin.id)
  t.ok(origin.vpcOriginConfig.originReadTimeout * 1000 > 2 * Number(env.MCP_HEARTBEAT_MS), 'heartbeats keep streams alive through CloudFront')
  t.ok(origin.vpcOriginConfig.originReadTimeout <= 60, 'within CloudFront\'s default quota (60 s)')
  t.notOk('responseCompletionTimeout' in origin, 'no cap on a whole stream')
  t.ok(origin.vpcOriginConfig.originKeepaliveTimeout < run.one('aws:lb/loadBalancer:LoadBalancer').inputs.idleTimeout, 'CloudFront drops idle origin connections before the ALB does')
  t.equal(run.ofType('aws:lb/listener:Listener').length, 1, 'one HTTP listener, reachable only inside the VPC')
})

t.test('deployment safety: failed or rolled-back deployments and too few healthy hosts reach the alarm topic', async (t) => {
  const rule = run.one('aws:cloudwatch/eventRule:EventRule').inputs
  t.same(JSON.parse(rule.eventPattern), { source: ['aws.ecs'], 'detail-type': ['ECS Deployment State Change'], resources: [run.one('aws:ecs/service:Service').id], detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] } })
  const topic = run.outputs.alarmTopicArn
  t.equal(run.one('aws:cloudwatch/eventTarget:EventTarget').inputs.arn, topic, 'who may publish there: test/infra/declared.test.ts')
  const healthy = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').find((alarm) => alarm.inputs.metricName === 'HealthyHostCount')!.inputs
  t.match(healthy, { comparisonOperator: 'LessThanThreshold', threshold: 2, statistic: 'Minimum', treatMissingData: 'breaching' })
})

t.test('ALB access logs go to a private bucket that expires them', async (t) => {
  const bucket = run.one('aws:s3/bucket:Bucket')
  t.match(run.one('aws:lb/loadBalancer:LoadBalancer').inputs.accessLogs, { enabled: true, bucket: bucket.state.bucket })
  t.match(run.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').inputs.rules, [{ status: 'Enabled', expiration: { days: 30 } }])
  t.match(run.one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').inputs, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true })
  t.equal(run.outputs.accessLogsBucket, bucket.state.bucket)
  const policy = JSON.parse(run.one('aws:s3/bucketPolicy:BucketPolicy').inputs.policy)
  t.same(policy.Statement, [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::127311923021:root' }, Action: 's3:PutObject', Resource: `${bucket.state.arn}/alb/AWSLogs/*` }], 'us-east-1 writes through its ELB account (regions without one: new-region.test.ts)')
})

t.test('outputs give the HTTPS URL, the key secret and log group, and a well-formed Inspector command without the key', async (t) => {
  const dnsName = 'd111111abcdef8.cloudfront.net'
  t.equal(run.outputs.url, `https://${dnsName}`)
  t.equal(run.outputs.apiKeysSecretArn, definition.secrets[0].valueFrom)
  t.ok(run.outputs.logGroupName)
  t.equal(run.outputs.inspectorCommand, `npx @modelcontextprotocol/inspector@2.12.0 --cli https://${dnsName}/sse --transport sse --header "Authorization: Bearer <key>"`)
  t.equal(run.outputs.inspectorUiCommand, `npx @modelcontextprotocol/inspector@2.12.0 --transport sse --server-url https://${dnsName}/sse --header "Authorization: Bearer <key>"`)
  t.match(run.outputs.apiKeyCommand, `--secret-id ${run.outputs.apiKeysSecretArn} `, 'says how to read the key')
  t.equal(run.outputs.redisUrl, undefined)
})
