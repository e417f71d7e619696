// Two IAM roles, each with only what it needs. The execution role is ECS's own (pull this image, write this
// log group, read these two secrets at start-up); the task role is the app's and holds no permissions, since
// the app calls no AWS API (its metrics leave through stdout as embedded metric format). With tracing, the task
// role also carries what the collector sidecar needs to send traces to X-Ray (./tracing.ts), and nothing more.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { COLLECTOR_POLICY_STATEMENTS } from './tracing'

export interface TaskRolesArgs {
  repositoryArn: pulumi.Input<string>
  logGroupArn: pulumi.Input<string>
  secretArns: pulumi.Input<string>[]
  /** The ADOT collector runs beside the app (`tracingEnabled`). */
  tracing: boolean
}

// Who may assume the roles. The task role carries the confused-deputy conditions exactly as the ECS Developer
// Guide documents them ("Amazon ECS task IAM role": "it is recommended that you use the aws:SourceAccount or
// aws:SourceArn condition keys … Using the aws:SourceArn condition key to specify a specific cluster is not
// currently supported, you should use the wildcard", example `ArnLike aws:SourceArn arn:aws:ecs:<region>:<account>:*`
// with `StringEquals aws:SourceAccount`). The guide's page on the task execution role documents no such
// condition, and a condition ECS does not satisfy there would stop every task from pulling its image: that role
// keeps the documented plain trust (docs/deploy.md, "What a real `pulumi up` adds").
function ecsTasksTrust(condition?: Record<string, Record<string, string>>): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole', ...(condition && { Condition: condition }) }],
  })
}

function thisAccountsTasks(accountId: string, region: string) {
  return {
    StringEquals: { 'aws:SourceAccount': accountId },
    ArnLike: { 'aws:SourceArn': `arn:aws:ecs:${region}:${accountId}:*` },
  }
}

export class TaskRoles extends pulumi.ComponentResource {
  readonly execution: aws.iam.Role
  readonly task: aws.iam.Role
  /** ECS needs it before the first task starts (image pull, secrets): the service waits for it. */
  readonly executionPolicy: aws.iam.RolePolicy
  /** With tracing, the collector's permissions: the service waits for them too, so the first spans are accepted. */
  readonly tracingPolicy?: aws.iam.RolePolicy

  constructor(name: string, args: TaskRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:TaskRoles', name, {}, opts)
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId
    const region = aws.getRegionOutput({}, { parent: this }).region
    const taskTrust = pulumi.all([accountId, region]).apply(([accountId, region]) => ecsTasksTrust(thisAccountsTasks(accountId, region)))
    this.execution = new aws.iam.Role(`${name}-execution`, { assumeRolePolicy: ecsTasksTrust(), description: 'ECS agent: image pull, logs, secrets' }, { parent: this })
    const taskDescription = args.tracing ? 'MCP app: no AWS permissions; its ADOT collector: X-Ray PutTraceSegments' : 'MCP app: no AWS permissions'
    this.task = new aws.iam.Role(`${name}-task`, { assumeRolePolicy: taskTrust, description: taskDescription }, { parent: this })
    this.executionPolicy = new aws.iam.RolePolicy(`${name}-execution`, {
      role: this.execution.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          // GetAuthorizationToken has no resource-level permissions; everything else is scoped.
          { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
          { Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: args.repositoryArn },
          { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: pulumi.interpolate`${args.logGroupArn}:*` },
          { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: args.secretArns },
        ],
      }),
    }, { parent: this })
    if (args.tracing) {
      this.tracingPolicy = new aws.iam.RolePolicy(`${name}-task-tracing`, {
        role: this.task.id,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: COLLECTOR_POLICY_STATEMENTS }),
      }, { parent: this })
    }
    this.registerOutputs({ executionRoleArn: this.execution.arn, taskRoleArn: this.task.arn })
  }
}
