// A production-shaped stack under Pulumi mocks: HTTPS on a domain with a DNS-validated certificate and an alias
// record, a base path, ElastiCache, no NAT (VPC endpoints instead), restricted client CIDRs, an alarm e-mail
// address, Fargate Spot, and a tool's own settings and secrets.
import * as pulumi from '@pulumi/pulumi'
import t from 'tap'
import { EGRESS_RULE, INGRESS_RULE, MOCK_VPC, SECURITY_GROUP, appContainer, runProgram } from './program.js'

const WEATHER_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tools/weather-AbCdEf'

const CERTIFICATE = 'arn:aws:mock:us-east-1:123456789012:acm/certificate/mcp' // the validated certificate
const run = await runProgram({
  domainName: 'mcp.example.com',
  hostedZoneId: 'Z0123456789ABC',
  fargateSpotWeight: '2',
  basePath: '/team-a',
  allowedCidrs: JSON.stringify(['203.0.113.0/24']),
  cacheEnabled: 'true',
  cacheNodes: '2',
  natGateways: 'none',
  vpcEndpoints: 'true',
  alarmEmail: 'ops@example.com',
  toolSettings: JSON.stringify({ MCP_WEATHER_TIMEOUT_MS: '3000', WEATHER_UNITS: 'metric' }),
  toolSecrets: JSON.stringify({ WEATHER_API_KEY: WEATHER_SECRET, WEATHER_ACCOUNT: `${WEATHER_SECRET}:account::` }),
})
const { definition, env } = appContainer(run)
const taskSecurityGroup = run.one(SECURITY_GROUP, 'mcp-task')
const targetGroupArn = 'arn:aws:mock:us-east-1:123456789012:lb/targetGroup/mcp'

t.test('with a domain and a hosted zone: a DNS-validated certificate, an alias record, no CloudFront', async (t) => {
  const certificate = run.one('aws:acm/certificate:Certificate').inputs
  t.match(certificate, { domainName: 'mcp.example.com', validationMethod: 'DNS' })
  const records = Object.fromEntries(run.ofType('aws:route53/record:Record').map((record) => [record.name, record]))
  t.match(records['mcp-validation']!.inputs, { zoneId: 'Z0123456789ABC', type: 'CNAME', name: '_x1.mcp.example.com.', records: ['_x2.acm-validations.aws.'] })
  t.match(run.one('aws:acm/certificateValidation:CertificateValidation').inputs.validationRecordFqdns, [records['mcp-validation']!.state.fqdn])
  const alb = run.one('aws:lb/loadBalancer:LoadBalancer')
  t.match(records['mcp-alias']!.inputs, { zoneId: 'Z0123456789ABC', name: 'mcp.example.com', type: 'A', aliases: [{ name: alb.state.dnsName, zoneId: alb.state.zoneId }] })
  t.match(alb.inputs, { internal: false, subnets: MOCK_VPC.publicSubnetIds })
  t.equal(run.ofType('aws:cloudfront/distribution:Distribution').length, 0)
})

t.test('Fargate Spot beside on-demand: minTasks on-demand, the rest 1 : fargateSpotWeight', async (t) => {
  t.same(run.one('aws:ecs/service:Service').inputs.capacityProviderStrategies, [{ capacityProvider: 'FARGATE', base: 2, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 2 }])
  t.same(run.one('aws:ecs/clusterCapacityProviders:ClusterCapacityProviders').inputs.capacityProviders, ['FARGATE', 'FARGATE_SPOT'])
})

t.test('HTTPS serves with the certificate; plain HTTP only redirects to it', async (t) => {
  const listeners = Object.fromEntries(run.ofType('aws:lb/listener:Listener').map((listener) => [listener.inputs.port, listener.inputs]))
  t.same(Object.keys(listeners).sort(), ['443', '80'])
  t.match(listeners[443], { protocol: 'HTTPS', certificateArn: CERTIFICATE, sslPolicy: /TLS13/, defaultActions: [{ type: 'forward', targetGroupArn }] })
  t.match(listeners[80], { protocol: 'HTTP', defaultActions: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }] })
  t.notOk(listeners[80].defaultActions[0].targetGroupArn, 'nothing is served over plain HTTP')
})

t.test('the ALB admits only the configured CIDRs, on 80 and 443', async (t) => {
  const albSecurityGroup = run.one(SECURITY_GROUP, 'mcp-alb')
  const ingress = run.ofType(INGRESS_RULE).filter((rule) => rule.inputs.securityGroupId === albSecurityGroup.id)
  t.same(ingress.map((rule) => [rule.inputs.cidrIpv4, rule.inputs.fromPort]).sort(), [['203.0.113.0/24', 443], ['203.0.113.0/24', 80]])
})

t.test('the base path and DNS name shape the URL, the health check and the Inspector command', async (t) => {
  t.equal(run.outputs.url, 'https://mcp.example.com/team-a')
  t.equal(env.MCP_PUBLIC_URL, run.outputs.url)
  t.equal(env.MCP_BASE_PATH, '/team-a')
  t.equal(run.one('aws:lb/targetGroup:TargetGroup').inputs.healthCheck.path, '/team-a/health')
  t.equal(run.outputs.inspectorCommand, 'npx @modelcontextprotocol/inspector@2.12.0 --cli https://mcp.example.com/team-a/sse --transport sse --header "Authorization: Bearer <key>"')
})

t.test('the cache is reachable only from the tasks, over TLS, with an AUTH token that reaches the app only inside the REDIS_URL secret', async (t) => {
  const cache = run.one('aws:elasticache/replicationGroup:ReplicationGroup')
  const cacheSecurityGroup = run.one(SECURITY_GROUP, 'mcp-cache')
  t.same(cache.inputs.securityGroupIds, [cacheSecurityGroup.id])
  const ingress = run.ofType(INGRESS_RULE).filter((rule) => rule.inputs.securityGroupId === cacheSecurityGroup.id)
  t.same(ingress.map((rule) => rule.inputs), [{ securityGroupId: cacheSecurityGroup.id, referencedSecurityGroupId: taskSecurityGroup.id, ipProtocol: 'tcp', fromPort: 6379, toPort: 6379, description: 'from tasks only' }])
  const taskToCache = run.ofType(EGRESS_RULE).filter((rule) => rule.inputs.securityGroupId === taskSecurityGroup.id && rule.inputs.referencedSecurityGroupId === cacheSecurityGroup.id)
  t.equal(taskToCache.length, 1, 'tasks may open connections to the cache')
  t.same(run.one('aws:elasticache/subnetGroup:SubnetGroup').inputs.subnetIds, MOCK_VPC.privateSubnetIds)
  t.match(cache.inputs, { transitEncryptionEnabled: true, atRestEncryptionEnabled: true, numCacheClusters: 2, automaticFailoverEnabled: true, multiAzEnabled: true })
  const token = cache.inputs.authToken
  t.match(token, { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: /^[A-Za-z0-9]{16,128}$/ }, 'an AUTH token ElastiCache accepts (16 to 128 characters), a Pulumi secret in the state')
  t.same(cache.options.ignoreChanges, ['authToken'], 'generated once: later runs do not rotate it under running tasks')
  const urlSecret = run.one('aws:secretsmanager/secret:Secret', 'mcp-cache-url')
  const version = run.one('aws:secretsmanager/secretVersion:SecretVersion', 'mcp-cache-url')
  t.match(version.inputs.secretString, { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: `rediss://:${token.value}@master.${cache.name}.cache.amazonaws.com:6379` })
  t.notOk('REDIS_URL' in env, 'no plain REDIS_URL')
  t.same(definition.secrets.find((secret: { name: string }) => secret.name === 'REDIS_URL'), { name: 'REDIS_URL', valueFrom: urlSecret.state.arn })
  t.equal(run.outputs.redisUrl, `rediss://master.${cache.name}.cache.amazonaws.com:6379`, 'the output names the endpoint without the token')
  const everything = JSON.stringify(run.one('aws:ecs/taskDefinition:TaskDefinition').inputs) + JSON.stringify(run.outputs)
  t.notOk(everything.includes(token.value), 'the token is in no task definition or output')
})

t.test('tasks start only once the cache, its rules and its URL secret exist', async (t) => {
  t.ok(run.one('aws:ecs/service:Service').dependencies.includes('mcp:infra:Cache::mcp-cache'), 'the service waits for the whole cache component')
})

t.test('a tool\'s settings reach the task as plain variables and its secrets as Secrets Manager references the execution role may read', async (t) => {
  t.match(env, { MCP_WEATHER_TIMEOUT_MS: '3000', WEATHER_UNITS: 'metric' })
  const secrets = Object.fromEntries(definition.secrets.map((secret: { name: string; valueFrom: string }) => [secret.name, secret.valueFrom]))
  t.equal(secrets.WEATHER_API_KEY, WEATHER_SECRET)
  t.equal(secrets.WEATHER_ACCOUNT, `${WEATHER_SECRET}:account::`, 'a JSON key of a secret, as ECS takes it')
  t.notOk('WEATHER_API_KEY' in env, 'no plain copy')
  const policy = JSON.parse(run.one('aws:iam/rolePolicy:RolePolicy').inputs.policy)
  const readable = policy.Statement.find((statement: { Action: string[] }) => statement.Action.includes('secretsmanager:GetSecretValue')).Resource as string[]
  const expected = [...new Set(Object.values(secrets).map((reference) => (reference as string).split(':').slice(0, 7).join(':')))].sort()
  t.same([...readable].sort(), expected, 'exactly the secrets the container names (a JSON key reads its whole secret), nothing else')
})

t.test('without NAT gateways, VPC endpoints let the tasks pull images, read secrets and write logs', async (t) => {
  t.match(run.one('awsx:ec2:Vpc').inputs.natGateways, { strategy: 'None' })
  const endpoints = run.ofType('aws:ec2/vpcEndpoint:VpcEndpoint').map((endpoint) => endpoint.inputs)
  t.same(endpoints.map((endpoint) => endpoint.serviceName).sort(), ['ecr.api', 'ecr.dkr', 'logs', 's3', 'secretsmanager'].map((service) => `com.amazonaws.us-east-1.${service}`))
  const endpointSecurityGroup = run.one(SECURITY_GROUP, 'mcp-endpoints-sg')
  for (const endpoint of endpoints.filter((endpoint) => endpoint.vpcEndpointType === 'Interface')) {
    t.match(endpoint, { privateDnsEnabled: true, subnetIds: MOCK_VPC.privateSubnetIds, securityGroupIds: [endpointSecurityGroup.id] })
  }
  const ingress = run.ofType(INGRESS_RULE).filter((rule) => rule.inputs.securityGroupId === endpointSecurityGroup.id)
  t.same(ingress.map((rule) => [rule.inputs.referencedSecurityGroupId, rule.inputs.fromPort]), [[taskSecurityGroup.id, 443]], 'HTTPS from the tasks only')
})

t.test('alarms notify the configured e-mail address', async (t) => {
  t.match(run.one('aws:sns/topicSubscription:TopicSubscription').inputs, { protocol: 'email', endpoint: 'ops@example.com', topic: run.outputs.alarmTopicArn })
})
