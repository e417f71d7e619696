// The ECS side: a cluster with Container Insights, the app's log group, its task definition and the Fargate
// service in the private subnets behind the load balancer's target group.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { CONTAINER_NAME, SCRATCH_VOLUME, secretArnOf, taskContainers } from './container'
import type { OAuthEnvironment } from './oauth'
import { TaskRoles } from './roles'

export interface AppServiceArgs {
  config: InfraConfig
  /** Task family and the ServiceName dimension of the app's own metrics. */
  label: string
  imageUri: pulumi.Input<string>
  repositoryArn: pulumi.Input<string>
  privateSubnetIds: pulumi.Input<string[]>
  securityGroupId: pulumi.Input<string>
  targetGroupArn: pulumi.Input<string>
  publicUrl: pulumi.Input<string>
  apiKeysSecretArn: pulumi.Input<string>
  sessionSecretArn: pulumi.Input<string>
  /** The secret holding REDIS_URL, with a cache. */
  redisUrlSecretArn?: pulumi.Input<string>
  /** MCP_TRUST_PROXY: the proxies in front of the tasks (SecurityGroups.trustedProxies). */
  trustedProxies: pulumi.Input<string[]>
  /** The app's OAuth settings (./oauth.ts, oauthEnvironment). */
  oauth: pulumi.Input<OAuthEnvironment>
  /**
   * What must exist before tasks start: listeners (a service needs its target group attached), secret values,
   * security-group rules and VPC endpoints (without them a task cannot pull, log or pass a health check).
   */
  startAfter: pulumi.Resource[]
}

export class AppService extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster
  readonly logGroup: aws.cloudwatch.LogGroup
  readonly roles: TaskRoles
  readonly taskDefinition: aws.ecs.TaskDefinition
  readonly service: aws.ecs.Service

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:AppService', name, {}, opts)
    const { config } = args
    const child = { parent: this }
    this.cluster = new aws.ecs.Cluster(name, { settings: [{ name: 'containerInsights', value: 'enabled' }] }, child)
    const capacity = new aws.ecs.ClusterCapacityProviders(name, { clusterName: this.cluster.name, capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }, child)
    this.logGroup = new aws.cloudwatch.LogGroup(name, { retentionInDays: config.logRetentionDays }, child)
    this.roles = new TaskRoles(name, {
      repositoryArn: args.repositoryArn,
      logGroupArn: this.logGroup.arn,
      secretArns: [args.apiKeysSecretArn, args.sessionSecretArn, ...(args.redisUrlSecretArn ? [args.redisUrlSecretArn] : []), ...new Set(Object.values(config.toolSecrets).map(secretArnOf))],
      tracing: config.tracingEnabled,
    }, child)
    this.taskDefinition = this.defineTask(name, args)
    this.service = new aws.ecs.Service(name, {
      cluster: this.cluster.arn,
      taskDefinition: this.taskDefinition.arn,
      capacityProviderStrategies: capacityStrategy(config),
      // "Updating this argument [capacityProviderStrategies] requires `forceNewDeployment = true`" (Pulumi AWS
      // provider, ecs.Service): without it, changing minTasks or fargateSpotWeight fails `pulumi up`. With it,
      // every update of the service starts a deployment, the same rolling one a new image starts (new tasks
      // placed by the new strategy first, then the old ones drained); an update that changes nothing of the
      // service starts none.
      forceNewDeployment: true,
      desiredCount: config.desiredCount,
      networkConfiguration: { subnets: args.privateSubnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
      loadBalancers: [{ targetGroupArn: args.targetGroupArn, containerName: CONTAINER_NAME, containerPort: config.containerPort }],
      healthCheckGracePeriodSeconds: 60,
      // A deployment starts the new tasks before it stops any old one: capacity never drops and every
      // old task drains its sessions (design §4) while the new ones already take new sessions.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      propagateTags: 'SERVICE',
      enableEcsManagedTags: true,
      waitForSteadyState: true,
    }, { parent: this, dependsOn: [...args.startAfter, capacity, this.roles.executionPolicy, ...(this.roles.tracingPolicy ? [this.roles.tracingPolicy] : [])], ignoreChanges: ['desiredCount'] }) // autoscaling owns the count after creation
    this.registerOutputs({ serviceName: this.service.name, logGroupName: this.logGroup.name })
  }

  private defineTask(name: string, args: AppServiceArgs): aws.ecs.TaskDefinition {
    const { config } = args
    const region = aws.getRegionOutput({}, { parent: this }).region
    // pulumi.all types a tuple of at most eight: the last two travel as one.
    const definition = pulumi
      .all([args.imageUri, region, this.logGroup.name, args.publicUrl, args.apiKeysSecretArn, args.sessionSecretArn, args.redisUrlSecretArn, pulumi.all([args.trustedProxies, args.oauth])])
      .apply(([image, region, logGroupName, publicUrl, apiKeysSecretArn, sessionSecretArn, redisUrlSecretArn, [trustedProxies, oauth]]) =>
        JSON.stringify(taskContainers({ config, image, region, logGroupName, publicUrl, apiKeysSecretArn, sessionSecretArn, metricsServiceName: args.label, redisUrlSecretArn, trustedProxies, oauth })),
      )
    return new aws.ecs.TaskDefinition(name, {
      family: args.label,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(config.cpu),
      memory: String(config.memory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: config.cpuArchitecture },
      executionRoleArn: this.roles.execution.arn,
      taskRoleArn: this.roles.task.arn,
      volumes: [{ name: SCRATCH_VOLUME }],
      containerDefinitions: definition,
    }, { parent: this })
  }
}

/**
 * On-demand Fargate always carries `minTasks` (the base); above it, tasks are spread 1 : fargateSpotWeight between
 * on-demand and Spot. A Spot interruption sends SIGTERM with a two-minute warning, and the task may stay in the
 * target group until it has stopped: the app keeps serving new sessions while it drains (docs/deploy.md,
 * "Stopping a task").
 */
export function capacityStrategy(config: InfraConfig): aws.types.input.ecs.ServiceCapacityProviderStrategy[] {
  const onDemand = { capacityProvider: 'FARGATE', base: config.minTasks, weight: 1 }
  return config.fargateSpotWeight > 0 ? [onDemand, { capacityProvider: 'FARGATE_SPOT', weight: config.fargateSpotWeight }] : [onDemand]
}
