// CloudWatch alarms on what ops must act on, all notifying one SNS topic (and the configured e-mail address):
// unhealthy targets, fewer healthy targets than the minimum task count (also when none ever registered), 5xx
// answers (from the tasks and from the ALB itself), CPU and memory pressure, and a task whose open sessions near
// its cap (new sessions get 503 there). ECS's own events about a deployment that failed or was rolled back by
// the circuit breaker reach the same topic through EventBridge: `pulumi up` can end green while ECS is back on
// the previous task definition.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { HTTP_5XX_PERIOD_SECONDS, METRIC_PERIOD_SECONDS, OPEN_SESSIONS_METRIC, openSessionsDimensions, sessionsAlarmThreshold } from './metrics'

export interface AlarmsArgs {
  config: InfraConfig
  label: string
  clusterName: pulumi.Input<string>
  serviceName: pulumi.Input<string>
  serviceArn: pulumi.Input<string>
  loadBalancerArnSuffix: pulumi.Input<string>
  targetGroupArnSuffix: pulumi.Input<string>
  /** The request-scoped leg's function (stack config `lambda`): its errors and throttles alarm too. */
  functionName?: pulumi.Input<string>
  /** The leg's REST API (stack config `lambdaRestApi`), as its metrics name it: its 5xx answers alarm too. */
  restApiDimensions?: { ApiName: pulumi.Input<string>; Stage: pulumi.Input<string> }
}

type AlarmSpec = Pick<aws.cloudwatch.MetricAlarmArgs, 'namespace' | 'metricName' | 'statistic' | 'threshold' | 'dimensions' | 'period' | 'evaluationPeriods' | 'alarmDescription' | 'comparisonOperator' | 'treatMissingData'>

/**
 * ECS service events that mean a deployment did not reach its new task definition (EventBridge, source aws.ecs,
 * detail-type "ECS Deployment State Change"). ECS Developer Guide, "Amazon ECS service deployment state change
 * events": SERVICE_DEPLOYMENT_FAILED "is sent for services with deployment circuit breaker logic turned on"; the
 * rollback that follows emits no event of its own kind, only SERVICE_DEPLOYMENT_IN_PROGRESS ("sent for both
 * initial deployments and rollback deployments", told apart by `reason`), so FAILED is the one to alarm on.
 */
export const FAILED_DEPLOYMENT_EVENTS = ['SERVICE_DEPLOYMENT_FAILED']

/**
 * The function's failed invocations (init failures, crashes, Lambda's own timeout: a call our bound ended is an
 * answer, not an error) and throttles (its reserved concurrency reached: clients got 429 from Lambda), each in
 * any minute.
 */
function functionAlarms(functionName: pulumi.Input<string>, config: InfraConfig): Record<string, AlarmSpec> {
  const common = { namespace: 'AWS/Lambda', statistic: 'Sum', threshold: 0, dimensions: { FunctionName: functionName }, period: 60, evaluationPeriods: 1 } as const
  return {
    'lambda-errors': { ...common, metricName: 'Errors', alarmDescription: 'the Lambda function fails invocations (init failure, crash, timeout)' },
    'lambda-throttles': { ...common, metricName: 'Throttles', alarmDescription: `the Lambda function refuses requests: its reserved concurrency (${config.lambdaReservedConcurrency}) is reached` },
  }
}

/**
 * 5xx answers of the leg's REST API in any minute: the function failed or was throttled, the integration gave up,
 * or the app answered 5xx itself (503 while shedding load, 504 past the function's time bound). API Gateway's
 * REST API metrics, dimensions ApiName and Stage (API Gateway Developer Guide, "Amazon API Gateway dimensions and
 * metrics").
 */
function restApiAlarms(dimensions: NonNullable<AlarmsArgs['restApiDimensions']>): Record<string, AlarmSpec> {
  return {
    'lambda-api-5xx': {
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      statistic: 'Sum',
      threshold: 0,
      dimensions,
      period: 60,
      evaluationPeriods: 1,
      alarmDescription: 'the REST API in front of the Lambda function answers 5xx (the function failed, was throttled or timed out, or answered 5xx)',
    },
  }
}

export class Alarms extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic
  readonly alarms: aws.cloudwatch.MetricAlarm[]

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Alarms', name, {}, opts)
    const { config } = args
    this.topic = new aws.sns.Topic(name, {}, { parent: this })
    if (config.alarmEmail) {
      new aws.sns.TopicSubscription(name, { topic: this.topic.arn, protocol: 'email', endpoint: config.alarmEmail }, { parent: this })
    }
    const service = { ClusterName: args.clusterName, ServiceName: args.serviceName }
    const loadBalancer = { LoadBalancer: args.loadBalancerArnSuffix }
    const targets = { ...loadBalancer, TargetGroup: args.targetGroupArnSuffix }
    const specs: Record<string, AlarmSpec> = {
      'too-few-healthy-hosts': {
        namespace: 'AWS/ApplicationELB',
        metricName: 'HealthyHostCount',
        statistic: 'Minimum',
        comparisonOperator: 'LessThanThreshold',
        threshold: config.minTasks,
        dimensions: targets,
        // No data points means no target at all reported healthy: that is the outage this alarm is for.
        treatMissingData: 'breaching',
        alarmDescription: `fewer than ${config.minTasks} (minTasks) targets pass /health`,
      },
      'unhealthy-hosts': { namespace: 'AWS/ApplicationELB', metricName: 'UnHealthyHostCount', statistic: 'Maximum', threshold: 0, dimensions: targets, evaluationPeriods: 3, alarmDescription: 'a task fails its /health check' },
      // One period: `http5xxAlarmCount` answers within one 5-minute period raise the alarm.
      'target-5xx': { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', statistic: 'Sum', threshold: config.http5xxAlarmCount, dimensions: targets, period: HTTP_5XX_PERIOD_SECONDS, evaluationPeriods: 1, alarmDescription: 'tasks answer 5xx' },
      'alb-5xx': { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_ELB_5XX_Count', statistic: 'Sum', threshold: config.http5xxAlarmCount, dimensions: loadBalancer, period: HTTP_5XX_PERIOD_SECONDS, evaluationPeriods: 1, alarmDescription: 'the load balancer answers 5xx (no healthy task, task resets)' },
      cpu: { namespace: 'AWS/ECS', metricName: 'CPUUtilization', statistic: 'Average', threshold: config.cpuAlarmPercent, dimensions: service, evaluationPeriods: 5, alarmDescription: 'service CPU stays high' },
      memory: { namespace: 'AWS/ECS', metricName: 'MemoryUtilization', statistic: 'Average', threshold: config.memoryAlarmPercent, dimensions: service, evaluationPeriods: 5, alarmDescription: 'service memory stays high' },
      'sessions-near-cap': {
        namespace: config.emfNamespace,
        metricName: OPEN_SESSIONS_METRIC,
        statistic: 'Maximum',
        threshold: sessionsAlarmThreshold(config),
        dimensions: openSessionsDimensions(args.label),
        evaluationPeriods: 2,
        alarmDescription: `a task nears its cap of ${config.maxSessionsPerTask} open sessions`,
      },
    }
    if (args.functionName) Object.assign(specs, functionAlarms(args.functionName, config))
    if (args.restApiDimensions) Object.assign(specs, restApiAlarms(args.restApiDimensions))
    this.alarms = Object.entries(specs).map(([suffix, spec]) =>
      new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
        comparisonOperator: 'GreaterThanThreshold',
        period: METRIC_PERIOD_SECONDS,
        evaluationPeriods: 3,
        treatMissingData: 'notBreaching',
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
        ...spec,
      }, { parent: this }),
    )
    const rule = this.deploymentEvents(name, args.serviceArn)
    const policy = this.publishers(name, rule)
    new aws.cloudwatch.EventTarget(`${name}-deployment-failed`, { rule: rule.name, arn: this.topic.arn }, { parent: this, dependsOn: [policy] })
    this.registerOutputs({ topicArn: this.topic.arn })
  }

  private deploymentEvents(name: string, serviceArn: pulumi.Input<string>): aws.cloudwatch.EventRule {
    return new aws.cloudwatch.EventRule(`${name}-deployment-failed`, {
      description: 'ECS deployment failed or rolled back by the circuit breaker',
      eventPattern: pulumi.jsonStringify({
        source: ['aws.ecs'],
        'detail-type': ['ECS Deployment State Change'],
        resources: [serviceArn],
        detail: { eventName: FAILED_DEPLOYMENT_EVENTS },
      }),
    }, { parent: this })
  }

  /**
   * Who may publish to the topic. A topic policy replaces the topic's default one, so every publisher needs its
   * statement: EventBridge for the deployment rule, and CloudWatch for the alarms, without which every alarm
   * action fails with "not authorized to perform: SNS:Publish" (AWS Knowledge Center,
   * "cloudwatch-receive-sns-for-alarm-trigger": the topic's access policy must allow cloudwatch.amazonaws.com).
   * Each service may publish for this stack's own rule and alarms only: aws:SourceArn names them exactly (their
   * ARNs hold this account and region), the condition the EventBridge statement always had.
   */
  private publishers(name: string, rule: aws.cloudwatch.EventRule): aws.sns.TopicPolicy {
    const statement = (service: string, sources: pulumi.Input<pulumi.Input<string>[]>) => ({
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sns:Publish',
      Resource: this.topic.arn,
      Condition: { ArnEquals: { 'aws:SourceArn': sources } },
    })
    return new aws.sns.TopicPolicy(name, {
      arn: this.topic.arn,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [statement('events.amazonaws.com', [rule.arn]), statement('cloudwatch.amazonaws.com', this.alarms.map((alarm) => alarm.arn))],
      }),
    }, { parent: this })
  }
}
