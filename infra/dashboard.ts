// The operator's CloudWatch dashboard: the state of every alarm on top, then open sessions per task (the app's
// own metric) with the scaling target, alarm threshold and cap drawn in, tasks, service CPU and memory, and the
// ALB's requests, 5xx, response time and target health. awsx's CloudWatch widgets lay out the grid and write
// the dashboard body; the metrics name this stack's own cluster, service, load balancer and target group.
import * as aws from '@pulumi/aws'
import * as awsx from '@pulumi/awsx'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { HTTP_5XX_PERIOD_SECONDS, METRIC_PERIOD_SECONDS, OPEN_SESSIONS_METRIC, openSessionsDimensions, sessionsAlarmThreshold } from './metrics'

const { cloudwatch } = awsx.classic
const ecsMetrics = awsx.classic.ecs.metrics
const albMetrics = awsx.classic.lb.metrics.application
type Widget = awsx.classic.cloudwatch.Widget

const HALF_WIDTH = 12
const FULL_WIDTH = 24

export interface DashboardArgs {
  config: InfraConfig
  /** Dashboard name and the ServiceName dimension of the app's own metrics. */
  label: string
  cluster: aws.ecs.Cluster
  service: aws.ecs.Service
  loadBalancer: aws.lb.LoadBalancer
  targetGroup: aws.lb.TargetGroup
  alarms: aws.cloudwatch.MetricAlarm[]
}

export class Dashboard extends pulumi.ComponentResource {
  readonly dashboardName: pulumi.Output<string>
  /** The dashboard in the CloudWatch console. */
  readonly url: pulumi.Output<string>

  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Dashboard', name, {}, opts)
    // The provider's own region (as the task definition uses it): awsx alone would read only `aws:region` or
    // AWS_REGION, and a region from an AWS profile would leave the graphs and the URL without one.
    const region = aws.getRegionOutput({}, { parent: this }).region as pulumi.Output<aws.Region>
    const dashboard = new cloudwatch.Dashboard(name, {
      name: args.label,
      region,
      widgets: [
        new cloudwatch.AlarmWidget({ title: 'Alarms', alarms: args.alarms.map((alarm) => alarm.arn), sortBy: 'stateUpdatedTimestamp', width: FULL_WIDTH }),
        ...serviceWidgets(args),
        ...loadBalancerWidgets(args),
      ],
    }, { parent: this })
    this.dashboardName = dashboard.dashboardName
    this.url = dashboard.url
    this.registerOutputs({ dashboardName: this.dashboardName, url: this.url })
  }
}

function graph(title: string, metrics: awsx.classic.cloudwatch.Metric[], lines: Record<string, number> = {}, yAxis?: { min: number; max: number }): Widget {
  const annotations = Object.entries(lines).map(([label, value]) => new cloudwatch.HorizontalAnnotation({ aboveEdge: { label, value } }))
  return new cloudwatch.LineGraphMetricWidget({ title, metrics, annotations, width: HALF_WIDTH, yAxis: yAxis && { left: yAxis } })
}

function serviceWidgets({ config, label, cluster, service }: DashboardArgs): Widget[] {
  const openSessions = new cloudwatch.Metric({ namespace: config.emfNamespace, name: OPEN_SESSIONS_METRIC, dimensions: openSessionsDimensions(label), period: METRIC_PERIOD_SECONDS })
  // Container Insights (enabled on the cluster) counts the service's tasks.
  const tasks = (name: string) =>
    new cloudwatch.Metric({ namespace: 'ECS/ContainerInsights', name, dimensions: { ClusterName: cluster.name, ServiceName: service.name }, period: METRIC_PERIOD_SECONDS, statistic: 'Average' })
  const cpu = ecsMetrics.cpuUtilization({ cluster, service, period: METRIC_PERIOD_SECONDS })
  const memory = ecsMetrics.memoryUtilization({ cluster, service, period: METRIC_PERIOD_SECONDS })
  const percent = { min: 0, max: 100 }
  return [
    graph('Open sessions per task', [openSessions.withStatistic('Average').withLabel('average task'), openSessions.withStatistic('Maximum').withLabel('busiest task')], {
      'scaling target': config.sessionsTargetPerTask,
      alarm: sessionsAlarmThreshold(config),
      cap: config.maxSessionsPerTask,
    }),
    graph('Tasks', [tasks('RunningTaskCount').withLabel('running'), tasks('DesiredTaskCount').withLabel('desired'), tasks('PendingTaskCount').withLabel('pending')], {
      minimum: config.minTasks,
      maximum: config.maxTasks,
    }),
    graph('CPU %', [cpu.withStatistic('Average').withLabel('average'), cpu.withStatistic('Maximum').withLabel('busiest task')], { 'scaling target': config.cpuTargetPercent, alarm: config.cpuAlarmPercent }, percent),
    graph('Memory %', [memory.withStatistic('Average').withLabel('average'), memory.withStatistic('Maximum').withLabel('fullest task')], { alarm: config.memoryAlarmPercent }, percent),
  ]
}

function loadBalancerWidgets({ config, loadBalancer, targetGroup }: DashboardArgs): Widget[] {
  const targets = { loadBalancer, targetGroup, period: METRIC_PERIOD_SECONDS }
  const fiveXx = { statistic: 'Sum', period: HTTP_5XX_PERIOD_SECONDS } as const
  return [
    graph('ALB requests', [albMetrics.requestCount({ loadBalancer, period: METRIC_PERIOD_SECONDS }).withLabel('requests')]),
    graph(`5xx per ${HTTP_5XX_PERIOD_SECONDS / 60} minutes`, [
      albMetrics.httpCodeTarget5XXCount({ ...targets, ...fiveXx }).withLabel('from tasks'),
      albMetrics.httpCodeELB5XXCount({ loadBalancer, ...fiveXx }).withLabel('from the ALB'),
    ], { alarm: config.http5xxAlarmCount }),
    graph('Target response time (s)', [
      albMetrics.targetResponseTime({ ...targets, extendedStatistic: 50 }).withLabel('p50'),
      albMetrics.targetResponseTime({ ...targets, extendedStatistic: 99 }).withLabel('p99'),
    ]),
    graph('Targets', [
      albMetrics.healthyHostCount({ ...targets, statistic: 'Minimum' }).withLabel('healthy'),
      albMetrics.unHealthyHostCount({ ...targets, statistic: 'Maximum' }).withLabel('unhealthy'),
    ]),
  ]
}
