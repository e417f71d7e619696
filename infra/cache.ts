// Optional ElastiCache (Valkey or Redis) for state all tasks share (design §4, REDIS_URL). It lives in the
// private subnets, encrypted in transit and at rest, only the tasks' security group may reach it, and every
// client must AUTH with a token: ElastiCache's AUTH token ("Authenticating with the Valkey and Redis OSS AUTH
// command", ElastiCache User Guide) needs in-transit encryption, which is on. The token reaches the tasks only
// inside REDIS_URL, a Secrets Manager secret (container `secrets`), never a plain environment value or an output.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { managedSecret, randomPassword } from './secrets'
import { tcp } from './security-groups'

const CACHE_PORT = 6379
const ENGINE_VERSION = { valkey: '8.0', redis: '7.1' } as const
/** ElastiCache takes AUTH tokens of 16 to 128 printable characters. */
const AUTH_TOKEN_LENGTH = 64

export interface CacheArgs {
  config: InfraConfig
  vpcId: pulumi.Input<string>
  privateSubnetIds: pulumi.Input<string[]>
  taskSecurityGroupId: pulumi.Input<string>
}

export class Cache extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup
  readonly replicationGroup: aws.elasticache.ReplicationGroup
  /** The secret holding REDIS_URL: `rediss://:<token>@<primary endpoint>:6379`. */
  readonly urlSecret: aws.secretsmanager.Secret
  /** The primary endpoint without credentials (a stack output). */
  readonly endpoint: pulumi.Output<string>

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Cache', name, {}, opts)
    const { config } = args
    const child = { parent: this }
    this.securityGroup = new aws.ec2.SecurityGroup(name, { vpcId: args.vpcId, description: 'MCP cache' }, child)
    new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, { securityGroupId: this.securityGroup.id, referencedSecurityGroupId: args.taskSecurityGroupId, ...tcp(CACHE_PORT), description: 'from tasks only' }, child)
    new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-out`, { securityGroupId: args.taskSecurityGroupId, referencedSecurityGroupId: this.securityGroup.id, ...tcp(CACHE_PORT), description: 'tasks to the cache' }, child)
    const subnets = new aws.elasticache.SubnetGroup(name, { subnetIds: args.privateSubnetIds }, child)
    const replicated = config.cacheNodes > 1
    const authToken = randomPassword(AUTH_TOKEN_LENGTH, this)
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
      authToken,
    // The generated token is the first one only, like the app's secrets: a later run draws a new random value,
    // which must not rotate the token under running tasks (operations.md, "Rotate the cache token").
    }, { ...child, ignoreChanges: ['authToken'] })
    this.endpoint = pulumi.interpolate`rediss://${this.replicationGroup.primaryEndpointAddress}:${CACHE_PORT}`
    const url = pulumi.interpolate`rediss://:${authToken}@${this.replicationGroup.primaryEndpointAddress}:${CACHE_PORT}`
    this.urlSecret = managedSecret(`${name}-url`, 'REDIS_URL: the cache URL with its AUTH token', url, this)
    this.registerOutputs({ endpoint: this.endpoint })
  }
}
