// HTTPS without a domain (the default): CloudFront with its own certificate (*.cloudfront.net) in front of the
// internal ALB, reached through a CloudFront VPC origin, so the ALB has no public address at all. AWS:
// "You can use internal Application Load Balancers inside private subnets with CloudFront by using VPC origins"
// (CloudFront Developer Guide, "Restrict access to Application Load Balancers" and "Restrict access with VPC
// origins"). Nothing is cached: every request, streams included, goes to the tasks.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { HTTP_PORT, HTTPS_PORT } from './security-groups'

/** Managed policies: no caching, and every viewer header but Host passed on (Authorization, mcp-session-id…). */
export const CACHE_POLICY = 'Managed-CachingDisabled'
// CloudFront forwards Authorization through an origin request policy only when caching is disabled (AWS
// knowledge center "cloudfront-authorization-header": AllViewer and AllViewerExceptHostHeader then pass it on).
export const ORIGIN_REQUEST_POLICY = 'Managed-AllViewerExceptHostHeader'
const ORIGIN_ID = 'alb'
/**
 * How long Pulumi waits for the VPC origin to be created, changed or deleted. "It can take up to 15 minutes" for
 * a VPC origin to deploy (CloudFront Developer Guide, "Restrict access with VPC origins"): set explicitly, at
 * twice that, so a slow but normal deployment never ends `pulumi up` with a timeout half-way.
 */
export const VPC_ORIGIN_TIMEOUT = '30m'

/** A behaviour that caches nothing and passes every method and viewer header but Host to the origin, uncompressed. */
export function passThrough(targetOriginId: string, parent: pulumi.Resource): aws.types.input.cloudfront.DistributionDefaultCacheBehavior {
  const cachePolicy = aws.cloudfront.getCachePolicyOutput({ name: CACHE_POLICY }, { parent })
  const originRequestPolicy = aws.cloudfront.getOriginRequestPolicyOutput({ name: ORIGIN_REQUEST_POLICY }, { parent })
  return {
    targetOriginId,
    viewerProtocolPolicy: 'https-only',
    allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
    cachedMethods: ['GET', 'HEAD'],
    cachePolicyId: cachePolicy.apply((policy) => policy.id!),
    originRequestPolicyId: originRequestPolicy.apply((policy) => policy.id!),
    compress: false, // SSE must reach the client event by event
  }
}

export interface EdgeArgs {
  config: InfraConfig
  loadBalancerArn: pulumi.Input<string>
  loadBalancerDnsName: pulumi.Input<string>
}

export class Edge extends pulumi.ComponentResource {
  readonly distribution: aws.cloudfront.Distribution
  readonly url: pulumi.Output<string>

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Edge', name, {}, opts)
    const { config } = args
    const child = { parent: this }
    const vpcOrigin = new aws.cloudfront.VpcOrigin(name, {
      vpcOriginEndpointConfig: {
        name,
        arn: args.loadBalancerArn,
        httpPort: HTTP_PORT,
        httpsPort: HTTPS_PORT,
        // The ALB has no certificate for a name of ours; CloudFront → ALB stays inside AWS's network and the VPC.
        originProtocolPolicy: 'http-only',
        originSslProtocols: { items: ['TLSv1.2'], quantity: 1 },
      },
      timeouts: { create: VPC_ORIGIN_TIMEOUT, update: VPC_ORIGIN_TIMEOUT, delete: VPC_ORIGIN_TIMEOUT },
    }, child)
    this.distribution = new aws.cloudfront.Distribution(name, {
      enabled: true,
      comment: 'MCP server',
      httpVersion: 'http2and3',
      priceClass: 'PriceClass_100',
      origins: [{
        originId: ORIGIN_ID,
        domainName: args.loadBalancerDnsName,
        vpcOriginConfig: {
          vpcOriginId: vpcOrigin.id,
          // The longest silence CloudFront accepts between two packets of a response (default 30 s, 60 s
          // without a quota increase): above two heartbeats, so idle SSE streams stay open. No
          // responseCompletionTimeout: unset, CloudFront enforces no maximum on a whole stream.
          originReadTimeout: config.originReadTimeoutSeconds,
          // Below the ALB's idle timeout: CloudFront drops a pooled connection before the ALB would.
          originKeepaliveTimeout: config.originKeepaliveTimeoutSeconds,
        },
      }],
      defaultCacheBehavior: passThrough(ORIGIN_ID, this),
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      // With the default *.cloudfront.net certificate CloudFront sets the minimum viewer protocol to TLSv1
      // whatever is asked ("If the distribution uses the CloudFront domain name such as d111111abcdef8.cloudfront.net
      // …, CloudFront automatically sets the security policy to TLSv1 regardless of the value that you set here",
      // CloudFront API Reference, ViewerCertificate): a domain (TLS 1.2+ on the ALB) is the production setting
      // (docs/deploy.md).
      viewerCertificate: { cloudfrontDefaultCertificate: true },
    }, child)
    this.url = pulumi.interpolate`https://${this.distribution.domainName}${config.basePath}`
    this.registerOutputs({ url: this.url })
  }
}
