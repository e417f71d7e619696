// Least-privilege security groups (design §6): only CloudFront's origin-facing servers (default) or the
// configured CIDRs (a public ALB) reach the load balancer's listener ports; the load balancer reaches only the
// task port; tasks reach each other only on the peer relay port (design §4). Tasks have no other ingress at all.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { exposureOf, type InfraConfig } from './config'

/** AWS's managed prefix list of the addresses CloudFront uses towards origins (VPC origins included). */
export const CLOUDFRONT_ORIGIN_FACING = 'com.amazonaws.global.cloudfront.origin-facing'

export const HTTP_PORT = 80
export const HTTPS_PORT = 443

export class SecurityGroups extends pulumi.ComponentResource {
  readonly loadBalancer: aws.ec2.SecurityGroup
  readonly task: aws.ec2.SecurityGroup
  /** Every rule: the service waits for them, so no task starts (and fails its health check) before they exist. */
  readonly rules: pulumi.Resource[] = []
  /**
   * The proxies in front of the tasks whose X-Forwarded-For entries the app may believe (MCP_TRUST_PROXY): the
   * ALB (inside the VPC) and, behind CloudFront, CloudFront's origin-facing servers, the only sources the ALB
   * admits. CloudFront appends the viewer's address to X-Forwarded-For, the ALB appends CloudFront's, so
   * walking back over trusted hops lands on the viewer; trusting the VPC alone would make every client look
   * like a CloudFront server (one failed-auth limit per edge address, audit lines naming the edge).
   */
  readonly trustedProxies: pulumi.Output<string[]>

  constructor(name: string, args: { config: InfraConfig; vpcId: pulumi.Input<string> }, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:SecurityGroups', name, {}, opts)
    const { config, vpcId } = args
    const child = { parent: this }
    this.loadBalancer = new aws.ec2.SecurityGroup(`${name}-alb`, { vpcId, description: 'MCP load balancer' }, child)
    this.task = new aws.ec2.SecurityGroup(`${name}-task`, { vpcId, description: 'MCP tasks' }, child)
    const alb = this.loadBalancer.id
    const task = this.task.id

    const ingress = (suffix: string, args: aws.vpc.SecurityGroupIngressRuleArgs) => this.rules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-${suffix}`, args, child))
    const egress = (suffix: string, args: aws.vpc.SecurityGroupEgressRuleArgs) => this.rules.push(new aws.vpc.SecurityGroupEgressRule(`${name}-${suffix}`, args, child))

    const exposure = exposureOf(config)
    if (exposure === 'cloudfront') {
      const prefixList = aws.ec2.getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_FACING }, child)
      ingress(`alb-in-${HTTP_PORT}-cloudfront`, { securityGroupId: alb, prefixListId: prefixList.id, ...tcp(HTTP_PORT), description: 'CloudFront VPC origin' })
      this.trustedProxies = prefixList.entries.apply((entries) => [config.vpcCidr, ...entries.map((entry) => entry.cidr)])
    } else {
      this.trustedProxies = pulumi.output([config.vpcCidr])
      for (const port of exposure === 'domain' ? [HTTP_PORT, HTTPS_PORT] : [HTTP_PORT]) {
        config.allowedCidrs.forEach((cidr, index) => ingress(`alb-in-${port}-${index}`, { securityGroupId: alb, cidrIpv4: cidr, ...tcp(port), description: 'clients' }))
      }
    }
    egress('alb-to-task', { securityGroupId: alb, referencedSecurityGroupId: task, ...tcp(config.containerPort), description: 'to tasks' })

    ingress('task-from-alb', { securityGroupId: task, referencedSecurityGroupId: alb, ...tcp(config.containerPort), description: 'from the load balancer' })
    ingress('task-peer-in', { securityGroupId: task, referencedSecurityGroupId: task, ...tcp(config.peerPort), description: 'session relay between tasks' })
    egress('task-peer-out', { securityGroupId: task, referencedSecurityGroupId: task, ...tcp(config.peerPort), description: 'session relay between tasks' })
    // Image pulls, Secrets Manager, CloudWatch Logs and the tools' outbound APIs are all HTTPS.
    egress('task-https-out', { securityGroupId: task, cidrIpv4: '0.0.0.0/0', ...tcp(HTTPS_PORT), description: 'HTTPS to AWS APIs and tool upstreams' })
    this.registerOutputs({ loadBalancer: alb, task })
  }
}

export function tcp(port: number) {
  return { ipProtocol: 'tcp', fromPort: port, toPort: port }
}
