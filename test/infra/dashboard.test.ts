// The ops dashboard under Pulumi mocks, on a stack that leaves `dashboardEnabled` at its default and moves the
// values the dashboard draws away from their defaults, so each one is seen to come from this stack's config
// and resources (the same ones the container, the scaling policies and the alarms get).
import t from 'tap'
import { PROJECT, STACK, appContainer, runProgram } from './program.js'

const DASHBOARD = 'aws:cloudwatch/dashboard:Dashboard'
const run = await runProgram({
  emfNamespace: 'Team-A/MCP',
  maxSessionsPerTask: '500',
  sessionsTargetPerTask: '300',
  sessionsAlarmPercent: '90',
  cpuTargetPercent: '50',
  cpuAlarmPercent: '80',
  memoryAlarmPercent: '75',
  http5xxAlarmCount: '25',
  minTasks: '3',
  desiredCount: '3',
  maxTasks: '6',
})
const { env } = appContainer(run)
const body = JSON.parse(run.one(DASHBOARD).inputs.dashboardBody) as { widgets: Widget[] }
const metricWidgets = body.widgets.filter((widget) => widget.type === 'metric')
const alarms = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm')
const alarm = (metricName: string) => alarms.find((alarm) => alarm.inputs.metricName === metricName)!.inputs
const cluster = run.one('aws:ecs/cluster:Cluster').state
const service = run.one('aws:ecs/service:Service').state
const loadBalancer = run.one('aws:lb/loadBalancer:LoadBalancer').state
const targetGroup = run.one('aws:lb/targetGroup:TargetGroup').state
const scaling = run.ofType('aws:appautoscaling/policy:Policy').map((policy) => policy.inputs.targetTrackingScalingPolicyConfiguration)

interface Widget {
  type: string
  x: number
  width: number
  properties: Record<string, any>
}

interface MetricRow {
  namespace: string
  metricName: string
  dimensions: Record<string, string>
  options: { stat?: string; period?: number }
}

// A metric line of a dashboard widget: [namespace, metric, dimension name, value, ..., rendering options].
function metricRow(row: unknown[]): MetricRow {
  const [namespace, metricName, ...rest] = row as [string, string, ...unknown[]]
  const options = typeof rest.at(-1) === 'object' ? (rest.pop() as MetricRow['options']) : {}
  const dimensions: Record<string, string> = {}
  for (let i = 0; i < rest.length; i += 2) dimensions[rest[i] as string] = rest[i + 1] as string
  return { namespace, metricName, dimensions, options }
}

const rows = (widget: Widget) => (widget.properties.metrics as unknown[][]).map(metricRow)
const linesOf = (metricName: string) => metricWidgets.flatMap(rows).filter((row) => row.metricName === metricName)
const widgetShowing = (metricName: string) => metricWidgets.find((widget) => rows(widget).some((row) => row.metricName === metricName))!
const thresholds = (metricName: string) => (widgetShowing(metricName).properties.annotations?.horizontal ?? []).map((line: { value: number }) => line.value).sort((a: number, b: number) => a - b)

t.test('the dashboard is on by default, named after the stack, with its name and console URL as outputs', async (t) => {
  const dashboards = run.ofType(DASHBOARD)
  t.equal(dashboards.length, 1)
  t.equal(dashboards[0]!.inputs.dashboardName, `${PROJECT}-${STACK}`, 'two stacks in one account get two dashboards')
  t.equal(run.outputs.dashboardName, dashboards[0]!.inputs.dashboardName)
  const url = new URL(run.outputs.dashboardUrl as string)
  t.equal(url.host, 'us-east-1.console.aws.amazon.com', 'the console of the stack\'s region')
  t.equal(url.searchParams.get('region'), 'us-east-1')
  t.equal(url.hash, `#dashboards:name=${run.outputs.dashboardName}`)
})

t.test('the body is valid JSON: widgets on the 24-column grid, every graph in the stack\'s region', async (t) => {
  t.ok(metricWidgets.length >= 8, `${metricWidgets.length} graphs`)
  for (const widget of body.widgets) t.ok(widget.x >= 0 && widget.x + widget.width <= 24, `${widget.properties.title} fits the grid`)
  for (const widget of metricWidgets) {
    t.equal(widget.properties.region, 'us-east-1', `${widget.properties.title} reads the stack's region`)
    for (const row of rows(widget)) t.ok(row.namespace && row.metricName && row.options.stat, `${row.metricName} names namespace, metric and statistic`)
  }
})

t.test('open sessions per task: the app\'s EMF namespace, metric and ServiceName, as the container and scaling get them', async (t) => {
  const sessions = scaling.find((policy) => policy.customizedMetricSpecification)!.customizedMetricSpecification
  const lines = linesOf('OpenSessions')
  t.same(lines.map((line) => line.options.stat).sort(), ['Average', 'Maximum'], 'the average task and the busiest one')
  for (const line of lines) {
    t.equal(line.namespace, env.MCP_EMF_NAMESPACE)
    t.equal(line.namespace, 'Team-A/MCP', 'the configured namespace')
    t.same(line.dimensions, { ServiceName: env.MCP_EMF_SERVICE_NAME })
    t.same([line.namespace, line.metricName, line.dimensions], [sessions.namespace, sessions.metricName, { ServiceName: sessions.dimensions[0].value }], 'the metric autoscaling tracks')
  }
  const target = scaling.find((policy) => policy.customizedMetricSpecification)!.targetValue
  t.same(thresholds('OpenSessions'), [target, alarm('OpenSessions').threshold, Number(env.MCP_MAX_SESSIONS)], 'scaling target, alarm threshold and per-task cap drawn in')
})

t.test('running tasks, CPU and memory of this stack\'s service', async (t) => {
  const serviceDimensions = { ClusterName: cluster.name, ServiceName: service.name }
  const target = run.one('aws:appautoscaling/target:Target').inputs
  t.equal(target.resourceId, `service/${cluster.name}/${service.name}`, 'the service autoscaling scales')
  t.match(linesOf('RunningTaskCount'), [{ namespace: 'ECS/ContainerInsights', dimensions: serviceDimensions }])
  t.same(thresholds('RunningTaskCount'), [target.minCapacity, target.maxCapacity], 'autoscaling bounds drawn in')
  for (const metricName of ['CPUUtilization', 'MemoryUtilization']) {
    const lines = linesOf(metricName)
    t.same(lines.map((line) => line.options.stat).sort(), ['Average', 'Maximum'], `${metricName}: the average and the busiest task`)
    for (const line of lines) t.match(line, { namespace: 'AWS/ECS', dimensions: serviceDimensions })
  }
  const cpuTarget = scaling.find((policy) => policy.predefinedMetricSpecification)!.targetValue
  t.same(thresholds('CPUUtilization'), [cpuTarget, alarm('CPUUtilization').threshold])
  t.same(thresholds('MemoryUtilization'), [alarm('MemoryUtilization').threshold])
})

t.test('requests, 5xx, response time and target health of this stack\'s load balancer and target group', async (t) => {
  const onLoadBalancer = { LoadBalancer: loadBalancer.arnSuffix }
  const onTargets = { ...onLoadBalancer, TargetGroup: targetGroup.arnSuffix }
  const shown = (metricName: string) => linesOf(metricName).map((line) => [line.namespace, line.dimensions, line.options.stat])
  t.same(shown('RequestCount'), [['AWS/ApplicationELB', onLoadBalancer, 'Sum']])
  t.same(shown('HTTPCode_Target_5XX_Count'), [['AWS/ApplicationELB', onTargets, 'Sum']])
  t.same(shown('HTTPCode_ELB_5XX_Count'), [['AWS/ApplicationELB', onLoadBalancer, 'Sum']])
  t.same(shown('TargetResponseTime'), [['AWS/ApplicationELB', onTargets, 'p50'], ['AWS/ApplicationELB', onTargets, 'p99']])
  t.same(shown('HealthyHostCount'), [['AWS/ApplicationELB', onTargets, 'Minimum']])
  t.same(shown('UnHealthyHostCount'), [['AWS/ApplicationELB', onTargets, 'Maximum']])
  for (const metricName of ['HTTPCode_Target_5XX_Count', 'HTTPCode_ELB_5XX_Count']) {
    t.equal(linesOf(metricName)[0]!.options.period, alarm(metricName).period, `${metricName} counted over its alarm's period`)
    t.same(thresholds(metricName), [alarm(metricName).threshold], `${metricName} alarm threshold drawn in`)
  }
})

t.test('an alarm widget shows the state of every alarm of the stack', async (t) => {
  const alarmWidgets = body.widgets.filter((widget) => widget.type === 'alarm')
  t.equal(alarmWidgets.length, 1)
  t.same([...alarmWidgets[0]!.properties.alarms].sort(), alarms.map((alarm) => alarm.state.arn).sort())
  t.equal(alarms.length, 7)
})
