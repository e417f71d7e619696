// The Application Load Balancer: one target group of task IPs and its listeners, placed by how clients reach it
// (config `exposureOf`, docs/deploy.md "HTTPS"):
// - cloudfront (default): internal, in the private subnets, HTTP only inside the VPC; the internet reaches it
//   only through CloudFront's VPC origin (./edge.ts), which serves HTTPS with CloudFront's default certificate.
// - domain: internet-facing, HTTPS with an ACM certificate (the configured one, or a DNS-validated one made here
//   in the hosted zone, with the alias record); plain HTTP only redirects.
// - dev-plain-http: internet-facing, plain HTTP: keys cross the internet in clear. Explicit opt-in only.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { exposureOf, type InfraConfig } from './config'
import { HTTP_PORT, HTTPS_PORT } from './security-groups'

const STICKY_SECONDS = 24 * 60 * 60
/** The ALB's health check interval: every health check (ALB and container) probes `/health`, never `/ready`. */
export const HEALTH_CHECK = { path: '/health', intervalSeconds: 15, timeoutSeconds: 5 }

export interface LoadBalancerArgs {
  config: InfraConfig
  vpcId: pulumi.Input<string>
  publicSubnetIds: pulumi.Input<string[]>
  privateSubnetIds: pulumi.Input<string[]>
  securityGroupId: pulumi.Input<string>
  /** Bucket for access logs, when they are on. */
  accessLogsBucket?: pulumi.Input<string>
}

export class LoadBalancer extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer
  readonly targetGroup: aws.lb.TargetGroup
  readonly listeners: aws.lb.Listener[]
  /** The URL clients use when they reach the ALB directly (domain, dev); behind CloudFront, edge.ts has it. */
  readonly url: pulumi.Output<string>

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:LoadBalancer', name, {}, opts)
    const { config } = args
    const child = { parent: this }
    const exposure = exposureOf(config)
    const internal = exposure === 'cloudfront'
    this.loadBalancer = new aws.lb.LoadBalancer(name, {
      loadBalancerType: 'application',
      internal,
      subnets: internal ? args.privateSubnetIds : args.publicSubnetIds,
      securityGroups: [args.securityGroupId],
      // Streams idle longer than this are cut by the ALB; the app's heartbeat keeps them under it.
      idleTimeout: config.idleTimeoutSeconds,
      dropInvalidHeaderFields: true,
      // Access logs record every request line, `/messages?sessionId=…` included (docs/operations.md "Logs").
      accessLogs: args.accessLogsBucket ? { enabled: true, bucket: args.accessLogsBucket, prefix: 'alb' } : undefined,
    }, child)
    this.targetGroup = new aws.lb.TargetGroup(name, {
      vpcId: args.vpcId,
      targetType: 'ip',
      protocol: 'HTTP',
      port: config.containerPort,
      // Long-lived SSE streams make request counts meaningless for balance; open requests are what load a task.
      loadBalancingAlgorithmType: 'least_outstanding_requests',
      // How long a deregistered (draining) task keeps its open requests before the ALB closes them; ECS sends
      // SIGTERM only after it (docs/deploy.md "Stopping a task").
      deregistrationDelay: config.deregistrationDelaySeconds,
      // An optimisation only (design §4): cookie-less clients are relayed between tasks by the app.
      stickiness: { enabled: true, type: 'lb_cookie', cookieDuration: STICKY_SECONDS },
      healthCheck: {
        enabled: true,
        path: `${config.basePath}${HEALTH_CHECK.path}`,
        protocol: 'HTTP',
        matcher: '200',
        interval: HEALTH_CHECK.intervalSeconds,
        timeout: HEALTH_CHECK.timeoutSeconds,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
    }, child)
    const forward = { type: 'forward', targetGroupArn: this.targetGroup.arn }
    if (exposure === 'domain') {
      const certificateArn = config.certificateArn ?? this.dnsValidatedCertificate(name, config)
      const redirect = { type: 'redirect', redirect: { protocol: 'HTTPS', port: String(HTTPS_PORT), statusCode: 'HTTP_301' } }
      this.listeners = [
        this.listener(`${name}-https`, HTTPS_PORT, forward, { protocol: 'HTTPS', certificateArn, sslPolicy: config.sslPolicy }),
        this.listener(`${name}-http`, HTTP_PORT, redirect),
      ]
      if (config.hostedZoneId) this.aliasRecord(name, config.hostedZoneId, config.domainName!)
    } else {
      this.listeners = [this.listener(`${name}-http`, HTTP_PORT, forward)]
    }
    const origin = exposure === 'domain' ? pulumi.output(`https://${config.domainName}`) : pulumi.interpolate`http://${this.loadBalancer.dnsName}`
    this.url = pulumi.interpolate`${origin}${config.basePath}`
    this.registerOutputs({ url: this.url })
  }

  /** An ACM certificate for the domain, validated by a DNS record in the hosted zone (no e-mail, renews itself). */
  private dnsValidatedCertificate(name: string, config: InfraConfig): pulumi.Output<string> {
    const child = { parent: this }
    const certificate = new aws.acm.Certificate(name, { domainName: config.domainName!, validationMethod: 'DNS' }, child)
    const option = certificate.domainValidationOptions[0]!
    const record = new aws.route53.Record(`${name}-validation`, {
      zoneId: config.hostedZoneId!,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 60,
      allowOverwrite: true,
    }, child)
    // Listeners wait for the certificate to be issued, not just requested.
    return new aws.acm.CertificateValidation(name, { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] }, child).certificateArn
  }

  private aliasRecord(name: string, zoneId: string, domainName: string) {
    new aws.route53.Record(`${name}-alias`, {
      zoneId,
      name: domainName,
      type: 'A',
      aliases: [{ name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true }],
    }, { parent: this })
  }

  private listener(name: string, port: number, action: aws.types.input.lb.ListenerDefaultAction, tls?: Partial<aws.lb.ListenerArgs>): aws.lb.Listener {
    return new aws.lb.Listener(name, { loadBalancerArn: this.loadBalancer.arn, port, protocol: 'HTTP', defaultActions: [action], ...tls }, { parent: this })
  }
}
