// ALB access logs (config `accessLogsEnabled`, default on) in a private, encrypted bucket whose objects expire
// after `accessLogRetentionDays`. Each line holds the request URL: legacy SSE's `/messages?sessionId=…` puts
// session ids in these logs. A session id is no credential (design §4: requests still need the key, and the id
// is signed), but treat the bucket as internal data all the same.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'

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
    // Elastic Load Balancing writes through the region's ELB account (ELB User Guide, "Enable access logs").
    const elbAccount = aws.elb.getServiceAccountOutput({}, child).arn
    this.policy = new aws.s3.BucketPolicy(name, {
      bucket: this.bucket.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: elbAccount }, Action: 's3:PutObject', Resource: pulumi.interpolate`${this.bucket.arn}/alb/AWSLogs/*` }],
      }),
    }, child)
    this.registerOutputs({ bucket: this.bucket.bucket })
  }
}
