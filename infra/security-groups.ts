// Least-privilege security groups (design §6): the world reaches only the load balancer's listener ports
// (from the configured CIDRs); the load balancer reaches only the task port; tasks reach each other only on
// the peer relay port (design §4). Tasks have no other ingress at all.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'

export const HTTP_PORT = 80
export const HTTPS_PORT = 443

export class SecurityGroups extends pulumi.ComponentResource {
  readonly loadBalancer: aws.ec2.SecurityGroup
  readonly task: aws.ec2.SecurityGroup

  constructor(name: string, args: { config: InfraConfig; vpcId: pulumi.Input<string> }, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:SecurityGroups', name, {}, opts)
    const { config, vpcId } = args
    const child = { parent: this }
    this.loadBalancer = new aws.ec2.SecurityGroup(`${name}-alb`, { vpcId, description: 'MCP load balancer' }, child)
    this.task = new aws.ec2.SecurityGroup(`${name}-task`, { vpcId, description: 'MCP tasks' }, child)
    const alb = this.loadBalancer.id
    const task = this.task.id

    const listenerPorts = config.certificateArn ? [HTTP_PORT, HTTPS_PORT] : [HTTP_PORT]
    for (const port of listenerPorts) {
      config.allowedCidrs.forEach((cidr, index) => {
        new aws.vpc.SecurityGroupIngressRule(`${name}-alb-in-${port}-${index}`, { securityGroupId: alb, cidrIpv4: cidr, ...tcp(port), description: 'clients' }, child)
      })
    }
    new aws.vpc.SecurityGroupEgressRule(`${name}-alb-to-task`, { securityGroupId: alb, referencedSecurityGroupId: task, ...tcp(config.containerPort), description: 'to tasks' }, child)

    new aws.vpc.SecurityGroupIngressRule(`${name}-task-from-alb`, { securityGroupId: task, referencedSecurityGroupId: alb, ...tcp(config.containerPort), description: 'from the load balancer' }, child)
    new aws.vpc.SecurityGroupIngressRule(`${name}-task-peer-in`, { securityGroupId: task, referencedSecurityGroupId: task, ...tcp(config.peerPort), description: 'session relay between tasks' }, child)
    new aws.vpc.SecurityGroupEgressRule(`${name}-task-peer-out`, { securityGroupId: task, referencedSecurityGroupId: task, ...tcp(config.peerPort), description: 'session relay between tasks' }, child)
    // Image pulls, Secrets Manager, CloudWatch Logs and the tools' outbound APIs are all HTTPS.
    new aws.vpc.SecurityGroupEgressRule(`${name}-task-https-out`, { securityGroupId: task, cidrIpv4: '0.0.0.0/0', ...tcp(HTTPS_PORT), description: 'HTTPS to AWS APIs and tool upstreams' }, child)
    this.registerOutputs({ loadBalancer: alb, task })
  }
}

export function tcp(port: number) {
  return { ipProtocol: 'tcp', fromPort: port, toPort: port }
}
