// VPC endpoints for what a task needs from AWS at start-up (image pull, secrets, logs), so the service also
// runs in private subnets without a NAT gateway. Interface endpoints accept HTTPS from the tasks only.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { HTTPS_PORT, tcp } from './security-groups'

const INTERFACE_SERVICES = ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager']

export interface VpcEndpointsArgs {
  vpcId: pulumi.Input<string>
  privateSubnetIds: pulumi.Input<string[]>
  routeTableIds: pulumi.Input<string[]>
  taskSecurityGroupId: pulumi.Input<string>
}

export class VpcEndpoints extends pulumi.ComponentResource {
  constructor(name: string, args: VpcEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:VpcEndpoints', name, {}, opts)
    const child = { parent: this }
    const region = aws.getRegionOutput({}, child).region
    const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: args.vpcId, description: 'VPC endpoints' }, child)
    new aws.vpc.SecurityGroupIngressRule(`${name}-from-tasks`, { securityGroupId: securityGroup.id, referencedSecurityGroupId: args.taskSecurityGroupId, ...tcp(HTTPS_PORT) }, child)
    for (const service of INTERFACE_SERVICES) {
      new aws.ec2.VpcEndpoint(`${name}-${service.replace('.', '-')}`, {
        vpcId: args.vpcId,
        serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: args.privateSubnetIds,
        securityGroupIds: [securityGroup.id],
      }, child)
    }
    // ECR keeps image layers in S3, reached through a (free) gateway endpoint on the route tables.
    new aws.ec2.VpcEndpoint(`${name}-s3`, {
      vpcId: args.vpcId,
      serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: args.routeTableIds,
    }, child)
    this.registerOutputs({})
  }
}
