// The VPC: public subnets for the load balancer, private subnets (no public IPs) for the tasks, and NAT
// gateways as configured. awsx builds the subnets, route tables and gateways; this component picks the zones.
import * as aws from '@pulumi/aws'
import * as awsx from '@pulumi/awsx'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'

const NAT_STRATEGY = { single: 'Single', onePerAz: 'OnePerAz', none: 'None' } as const

/**
 * Zones (by zone ID: names map to different zones in each account) where CloudFront cannot reach a VPC origin,
 * as the CloudFront Developer Guide lists them ("Restrict access with VPC origins", its list of Availability
 * Zones VPC origins do not support). The internal ALB sits in the private subnets,
 * so no subnet goes there; a public ALB (domain mode) loses nothing by skipping them either.
 */
export const VPC_ORIGIN_UNSUPPORTED_ZONE_IDS = ['use1-az3', 'usw1-az2', 'apne1-az3', 'cac1-az3']

/** The first `count` zones of the region that a VPC origin supports, by name, in the order AWS lists them. */
export function pickZones(zones: { names: string[]; zoneIds: string[] }, count: number): string[] {
  const usable = zones.names.filter((_name, index) => !VPC_ORIGIN_UNSUPPORTED_ZONE_IDS.includes(zones.zoneIds[index]!))
  if (usable.length < count) {
    throw new pulumi.RunError(`availabilityZones ${count}: the region has only ${usable.length} zones that CloudFront VPC origins support (${usable.join(', ')})`)
  }
  return usable.slice(0, count)
}

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>
  readonly publicSubnetIds: pulumi.Output<string[]>
  readonly privateSubnetIds: pulumi.Output<string[]>
  readonly routeTableIds: pulumi.Output<string[]>

  constructor(name: string, config: InfraConfig, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Network', name, {}, opts)
    // The region's standard zones (no Local or Wavelength Zones, which need an opt-in).
    const zones = aws.getAvailabilityZonesOutput({ state: 'available', filters: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] }, { parent: this })
    // awsx takes zone names as plain values, so the VPC is declared once the lookup has answered (a data source:
    // it answers in previews too).
    const vpc = zones.apply((zones) =>
      new awsx.ec2.Vpc(
        name,
        {
          cidrBlock: config.vpcCidr,
          availabilityZoneNames: pickZones(zones, config.availabilityZones),
          natGateways: { strategy: NAT_STRATEGY[config.natGateways] },
          subnetStrategy: 'Auto',
          subnetSpecs: [{ type: 'Public' }, { type: 'Private' }],
          enableDnsHostnames: true,
          enableDnsSupport: true,
        },
        { parent: this },
      ),
    )
    this.vpcId = vpc.vpcId
    this.publicSubnetIds = vpc.publicSubnetIds
    this.privateSubnetIds = vpc.privateSubnetIds
    this.routeTableIds = vpc.routeTables.apply((tables) => pulumi.all(tables.map((table) => table.id)))
    this.registerOutputs({ vpcId: this.vpcId })
  }
}
