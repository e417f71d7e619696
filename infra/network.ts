// The VPC: public subnets for the load balancer, private subnets (no public IPs) for the tasks, and NAT
// gateways as configured. awsx builds the subnets, route tables and gateways.
import * as awsx from '@pulumi/awsx'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'

const NAT_STRATEGY = { single: 'Single', onePerAz: 'OnePerAz', none: 'None' } as const

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>
  readonly publicSubnetIds: pulumi.Output<string[]>
  readonly privateSubnetIds: pulumi.Output<string[]>
  readonly routeTableIds: pulumi.Output<string[]>

  constructor(name: string, config: InfraConfig, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Network', name, {}, opts)
    const vpc = new awsx.ec2.Vpc(
      name,
      {
        cidrBlock: config.vpcCidr,
        numberOfAvailabilityZones: config.availabilityZones,
        natGateways: { strategy: NAT_STRATEGY[config.natGateways] },
        subnetStrategy: 'Auto',
        subnetSpecs: [{ type: 'Public' }, { type: 'Private' }],
        enableDnsHostnames: true,
        enableDnsSupport: true,
      },
      { parent: this },
    )
    this.vpcId = vpc.vpcId
    this.publicSubnetIds = vpc.publicSubnetIds
    this.privateSubnetIds = vpc.privateSubnetIds
    this.routeTableIds = vpc.routeTables.apply((tables) => pulumi.all(tables.map((table) => table.id)))
    this.registerOutputs({ vpcId: this.vpcId })
  }
}
