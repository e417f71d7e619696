// What a real account does with the dev stack that Pulumi mocks do not model (updates, deletes, IAM evaluation,
// zone placement, provider diffs): each test reads what the program declares (resource names, options,
// policies) and checks it against the rule the AWS or provider documentation states (cited in infra/).
import Fastify from 'fastify'
import t from 'tap'
import infraImage from '../../infra/image.js'
import infraNetwork from '../../infra/network.js'
import { MOCK_ORIGIN_FACING_CIDRS, MOCK_ZONES, appContainer, devStackConfig, runProgram } from './program.js'

const { KEEP_IMAGES } = infraImage
const { VPC_ORIGIN_UNSUPPORTED_ZONE_IDS, pickZones } = infraNetwork

const run = await runProgram(devStackConfig())
const { env } = appContainer(run)
const ALARM = 'aws:cloudwatch/metricAlarm:MetricAlarm'

t.test('a new image tag updates one Image resource, which is retained on delete: the previous image stays pullable', async (t) => {
  t.equal(run.ofType('awsx:ecr:Image').length, 0, 'not awsx\'s ecr.Image, whose inner resource is named after the tag')
  const image = run.one('docker-build:index:Image')
  const [tag] = image.inputs.tags as string[]
  const tagged = tag!.slice(tag!.lastIndexOf(':') + 1)
  t.match(tagged, /^ctx-[0-9a-f]{24}$/)
  // Pulumi tells resources apart by type and name (the URN): with a name that holds no tag, the next tag is an
  // update of this resource, never a new resource beside an old one that the end of `pulumi up` deletes.
  t.equal(image.name, 'mcp', 'the resource name is fixed')
  t.notMatch(image.name, tagged, 'and holds no tag')
  t.equal(image.options.retainOnDelete, true, 'deleting or replacing the resource leaves the pushed image in ECR')
  const lifecycle = JSON.parse(run.one('aws:ecr/lifecyclePolicy:LifecyclePolicy').inputs.policy)
  t.same(lifecycle.rules.map((rule: { selection: unknown; action: unknown }) => [rule.selection, rule.action]), [
    [{ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: KEEP_IMAGES }, { type: 'expire' }],
  ], 'old images go only by the lifecycle policy, the last ones kept for rollbacks')
  t.ok(KEEP_IMAGES >= 2, 'at least the running image and the previous one')
})

t.test('the alarm topic\'s policy lets CloudWatch publish for this stack\'s alarms and EventBridge for its rule, and no one else', async (t) => {
  const topicArn = run.outputs.alarmTopicArn
  const policy = JSON.parse(run.one('aws:sns/topicPolicy:TopicPolicy').inputs.policy)
  const alarmArns = run.ofType(ALARM).map((alarm) => alarm.state.arn).sort()
  const rule = run.one('aws:cloudwatch/eventRule:EventRule').state.arn
  t.equal(alarmArns.length, 7)
  const expected: Record<string, string[]> = { 'cloudwatch.amazonaws.com': alarmArns, 'events.amazonaws.com': [rule] }
  t.equal(policy.Statement.length, 2, 'one statement per publisher')
  for (const statement of policy.Statement) {
    const service = statement.Principal.Service as string
    t.ok(service in expected, `${service} is an expected publisher`)
    t.same(Object.keys(statement.Principal), ['Service'], 'a service principal: no account, no "*"')
    t.equal(statement.Effect, 'Allow')
    t.equal(statement.Action, 'sns:Publish', 'publish only')
    t.equal(statement.Resource, topicArn, 'on this topic only')
    t.same(Object.keys(statement.Condition), ['ArnEquals'])
    t.same([...statement.Condition.ArnEquals['aws:SourceArn']].sort(), expected[service], `${service} publishes for exactly these sources`)
  }
  t.same(policy.Statement.map((statement: { Principal: { Service: string } }) => statement.Principal.Service).sort(), Object.keys(expected))
  for (const alarm of run.ofType(ALARM)) t.same(alarm.inputs.alarmActions, [topicArn], `${alarm.name} notifies the topic its statement covers`)
})

t.test('a capacity strategy change can update the service: forceNewDeployment is on', async (t) => {
  const service = run.one('aws:ecs/service:Service').inputs
  t.ok(service.capacityProviderStrategies.length > 0)
  t.equal(service.forceNewDeployment, true)
  t.notOk(service.triggers, 'no trigger that would redeploy on every `pulumi up`')
})

t.test('subnets avoid the zones CloudFront VPC origins do not support, chosen by zone ID', async (t) => {
  const chosen = run.one('awsx:ec2:Vpc').inputs.availabilityZoneNames as string[]
  t.equal(chosen.length, 2, 'availabilityZones of them')
  for (const name of chosen) {
    const zoneId = MOCK_ZONES.zoneIds[MOCK_ZONES.names.indexOf(name)]!
    t.notOk(VPC_ORIGIN_UNSUPPORTED_ZONE_IDS.includes(zoneId), `${name} (${zoneId})`)
  }
  t.same(chosen, ['us-east-1b', 'us-east-1c'], 'the first supported zones in AWS\'s order: us-east-1a is use1-az3 here')
  t.same(pickZones({ names: ['x-1a', 'x-1b', 'x-1c'], zoneIds: ['cac1-az3', 'cac1-az1', 'cac1-az2'] }, 2), ['x-1b', 'x-1c'])
  t.throws(() => pickZones({ names: ['x-1a', 'x-1b'], zoneIds: ['usw1-az2', 'usw1-az1'] }, 2), { message: /only 1 zones that CloudFront VPC origins support \(x-1b\)/ })
})

t.test('Pulumi waits longer for the VPC origin than the 15 minutes it can take to deploy', async (t) => {
  const timeouts = run.one('aws:cloudfront/vpcOrigin:VpcOrigin').inputs.timeouts as Record<string, string>
  const minutes = (duration: string) => Number(/^(\d+)m$/.exec(duration)?.[1])
  for (const operation of ['create', 'update', 'delete']) t.ok(minutes(timeouts[operation]!) > 15, `${operation}: ${timeouts[operation]}`)
})

t.test('5xx alarms fire on one 5-minute period over the threshold; every alarm notifies and recovers', async (t) => {
  for (const alarm of run.ofType(ALARM).map((alarm) => alarm.inputs)) {
    if (/5XX/.test(alarm.metricName)) t.equal(alarm.period * alarm.evaluationPeriods, 300, `${alarm.metricName}: ${alarm.evaluationPeriods} × ${alarm.period} s`)
    t.same(alarm.okActions, alarm.alarmActions, `${alarm.metricName} also says when it is over`)
  }
})

t.test('clients behind CloudFront are told apart by their own address, not CloudFront\'s', async (t) => {
  const vpcCidr = run.one('awsx:ec2:Vpc').inputs.cidrBlock
  t.same(env.MCP_TRUST_PROXY!.split(','), [vpcCidr, ...MOCK_ORIGIN_FACING_CIDRS], 'the ALB and CloudFront\'s origin-facing ranges, the only sources the ALB admits')
  // The app takes its client address as Fastify does with this trust setting (app/server.ts: trustProxy).
  const app = Fastify({ trustProxy: env.MCP_TRUST_PROXY })
  app.get('/', (request) => ({ ip: request.ip }))
  t.teardown(() => app.close())
  const alb = '10.0.12.34'
  const edge = '130.176.3.4'
  const clientIp = async (forwardedFor: string, remoteAddress = alb) =>
    (await app.inject({ method: 'GET', url: '/', remoteAddress, headers: { 'x-forwarded-for': forwardedFor } })).json().ip
  t.equal(await clientIp(`198.51.100.7, ${edge}`), '198.51.100.7', 'CloudFront appended the viewer, the ALB appended CloudFront')
  t.equal(await clientIp(`203.0.113.66, 198.51.100.7, ${edge}`), '198.51.100.7', 'a value the client put in front is not believed')
  t.equal(await clientIp(`198.51.100.7, ${edge}`, '192.0.2.1'), '192.0.2.1', 'headers from anything but the ALB are not believed')
})
