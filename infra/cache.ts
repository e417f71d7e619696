// Optional ElastiCache (Valkey or Redis) for state all tasks share (design §4, REDIS_URL). It lives in the
// private subnets, encrypted in transit and at rest, and only the tasks' security group may reach it.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { tcp } from './security-groups'

const CACHE_PORT = 6379
const ENGINE_VERSION = { valkey: '8.0', redis: '7.1' } as const

export interface CacheArgs {
  config: InfraConfig
  vpcId: pulumi.Input<string>
  privateSubnetIds: pulumi.Input<string[]>
  taskSecurityGroupId: pulumi.Input<string>
}

export class Cache extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup
  readonly replicationGroup: aws.elasticache.ReplicationGroup
  /** TLS (`rediss://`) URL of the primary endpoint, for the app's REDIS_URL. */
  readonly url: pulumi.Output<string>

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Cache', name, {}, opts)
    const { config } = args
    const child = { parent: this }
    this.securityGroup = new aws.ec2.SecurityGroup(name, { vpcId: args.vpcId, description: 'MCP cache' }, child)
    new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, { securityGroupId: this.securityGroup.id, referencedSecurityGroupId: args.taskSecurityGroupId, ...tcp(CACHE_PORT), description: 'from tasks only' }, child)
    new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-out`, { securityGroupId: args.taskSecurityGroupId, referencedSecurityGroupId: this.securityGroup.id, ...tcp(CACHE_PORT), description: 'tasks to the cache' }, child)
    const subnets = new aws.elasticache.SubnetGroup(name, { subnetIds: args.privateSubnetIds }, child)
    const replicated = config.cacheNodes > 1
    this.replicationGroup = new aws.elasticache.ReplicationGroup(name, {
      description: 'MCP shared state',
      engine: config.cacheEngine,
      engineVersion: ENGINE_VERSION[config.cacheEngine],
      nodeType: config.cacheNodeType,
      numCacheClusters: config.cacheNodes,
      automaticFailoverEnabled: replicated,
      multiAzEnabled: replicated,
      port: CACHE_PORT,
      subnetGroupName: subnets.name,
      securityGroupIds: [this.securityGroup.id],
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
    }, child)
    this.url = pulumi.interpolate`rediss://${this.replicationGroup.primaryEndpointAddress}:${CACHE_PORT}`
    this.registerOutputs({ url: this.url })
  }
}
