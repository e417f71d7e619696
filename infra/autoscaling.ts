// Target tracking on two signals: average CPU, and average open sessions per task (the app's own metric),
// since an MCP task is usually bounded by its long-lived sessions before its CPU. Scale-in is slow: every
// task removed drains and ends its sessions.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { OPEN_SESSIONS_METRIC, openSessionsDimensions } from './metrics'

const SCALE_OUT_COOLDOWN_SECONDS = 60
const SCALE_IN_COOLDOWN_SECONDS = 300

export interface AutoscalingArgs {
  config: InfraConfig
  label: string
  clusterName: pulumi.Input<string>
  serviceName: pulumi.Input<string>
}

export class Autoscaling extends pulumi.ComponentResource {
  constructor(name: string, args: AutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Autoscaling', name, {}, opts)
    const { config } = args
    const target = new aws.appautoscaling.Target(name, {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: pulumi.interpolate`service/${args.clusterName}/${args.serviceName}`,
      minCapacity: config.minTasks,
      maxCapacity: config.maxTasks,
    }, { parent: this })
    const policy = (suffix: string, tracking: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfiguration) =>
      new aws.appautoscaling.Policy(`${name}-${suffix}`, {
        policyType: 'TargetTrackingScaling',
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: { scaleOutCooldown: SCALE_OUT_COOLDOWN_SECONDS, scaleInCooldown: SCALE_IN_COOLDOWN_SECONDS, ...tracking },
      }, { parent: this })
    policy('cpu', {
      targetValue: config.cpuTargetPercent,
      predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
    })
    policy('sessions', {
      targetValue: config.sessionsTargetPerTask,
      customizedMetricSpecification: {
        namespace: config.emfNamespace,
        metricName: OPEN_SESSIONS_METRIC,
        statistic: 'Average',
        dimensions: Object.entries(openSessionsDimensions(args.label)).map(([name, value]) => ({ name, value })),
      },
    })
    this.registerOutputs({})
  }
}
