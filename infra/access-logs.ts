// ALB access logs (config `accessLogsEnabled`, default on) in a private, encrypted bucket whose objects expire
// after `accessLogRetentionDays`. Each line holds the request URL: legacy SSE's `/messages?sessionId=…` puts
// session ids in these logs. A session id is no credential (design §4: requests still need the key, and the id
// is signed), but treat the bucket as internal data all the same.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'

/**
 * Regions where Elastic Load Balancing writes access logs through a regional ELB account: those available before
 * August 2022 (ELB User Guide, "Enable access logs", step 2). Later regions have none: "For AWS Regions opened
 * since Jakarta (ap-southeast-3) in December 2021, AWS documents that a service principal name should be used
 * instead of an AWS account ID" (Pulumi AWS provider, elb.getServiceAccount), and the provider's lookup fails
 * there. The list is closed: no new region gets an ELB account.
 */
export const ELB_ACCOUNT_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'af-south-1', 'ap-east-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2',
  'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ca-central-1', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'eu-south-1', 'eu-north-1', 'me-south-1', 'sa-east-1', 'us-gov-west-1', 'us-gov-east-1', 'cn-north-1', 'cn-northwest-1',
]
/** The service principal that writes access logs in every other region. */
export const LOG_DELIVERY_PRINCIPAL = 'logdelivery.elasticloadbalancing.amazonaws.com'

type LogWriter = { AWS: string } | { Service: string }

export class AccessLogs extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket
  /** The bucket policy: the ALB checks it can write there when logging is turned on, so it must exist first. */
  readonly policy: aws.s3.BucketPolicy

  constructor(name: string, config: InfraConfig, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:AccessLogs', name, {}, opts)
    const child = { parent: this }
    this.bucket = new aws.s3.Bucket(name, { forceDestroy: true }, child)
    new aws.s3.BucketPublicAccessBlock(name, { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, child)
    // ALB access logs support SSE-S3 only (not SSE-KMS).
    new aws.s3.BucketServerSideEncryptionConfiguration(name, { bucket: this.bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] }, child)
    new aws.s3.BucketLifecycleConfiguration(name, {
      bucket: this.bucket.id,
      rules: [{ id: 'expire', status: 'Enabled', filter: {}, expiration: { days: config.accessLogRetentionDays } }],
    }, child)
    this.policy = new aws.s3.BucketPolicy(name, {
      bucket: this.bucket.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: this.logWriter(), Action: 's3:PutObject', Resource: pulumi.interpolate`${this.bucket.arn}/alb/AWSLogs/*` }],
      }),
    }, child)
    this.registerOutputs({ bucket: this.bucket.bucket })
  }

  /** Who writes the logs in this stack's region: its ELB account, or the log delivery service. */
  private logWriter(): pulumi.Output<LogWriter> {
    const region = aws.getRegionOutput({}, { parent: this }).region
    return region.apply((region): pulumi.Output<LogWriter> =>
      ELB_ACCOUNT_REGIONS.includes(region)
        ? aws.elb.getServiceAccountOutput({}, { parent: this }).arn.apply((arn): LogWriter => ({ AWS: arn }))
        : pulumi.output<LogWriter>({ Service: LOG_DELIVERY_PRINCIPAL }),
    )
  }
}
