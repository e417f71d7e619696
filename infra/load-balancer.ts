// The Application Load Balancer in the public subnets: one target group of task IPs and the listeners.
// With a certificate, HTTPS serves and plain HTTP only redirects to it; without one, HTTP serves.
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { HTTP_PORT, HTTPS_PORT } from './security-groups'

const STICKY_SECONDS = 24 * 60 * 60

export interface LoadBalancerArgs {
  config: InfraConfig
  vpcId: pulumi.Input<string>
  publicSubnetIds: pulumi.Input<string[]>
  securityGroupId: pulumi.Input<string>
}

export class LoadBalancer extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer
  readonly targetGroup: aws.lb.TargetGroup
  readonly listeners: aws.lb.Listener[]
  /** What users connect to, base path included (the same value the app prints as MCP_PUBLIC_URL). */
  readonly url: pulumi.Output<string>

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:LoadBalancer', name, {}, opts)
    const { config } = args
    const child = { parent: this }
    this.loadBalancer = new aws.lb.LoadBalancer(name, {
      loadBalancerType: 'application',
      internal: false,
      subnets: args.publicSubnetIds,
      securityGroups: [args.securityGroupId],
      // Streams idle longer than this are cut by the ALB; the app's heartbeat keeps them under it.
      idleTimeout: config.idleTimeoutSeconds,
      dropInvalidHeaderFields: true,
    }, child)
    this.targetGroup = new aws.lb.TargetGroup(name, {
      vpcId: args.vpcId,
      targetType: 'ip',
      protocol: 'HTTP',
      port: config.containerPort,
      // Long-lived SSE streams make request counts meaningless for balance; open requests are what load a task.
      loadBalancingAlgorithmType: 'least_outstanding_requests',
      // A deregistered (draining) task keeps serving its open streams this long.
      deregistrationDelay: config.deregistrationDelaySeconds,
      // An optimisation only (design §4): cookie-less clients are relayed between tasks by the app.
      stickiness: { enabled: true, type: 'lb_cookie', cookieDuration: STICKY_SECONDS },
      healthCheck: {
        enabled: true,
        path: `${config.basePath}/health`,
        protocol: 'HTTP',
        matcher: '200',
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
    }, child)
    this.listeners = config.certificateArn ? this.httpsListeners(name, config.certificateArn, config.sslPolicy) : [this.listener(`${name}-http`, HTTP_PORT, this.forward())]
    const scheme = config.certificateArn ? 'https' : 'http'
    const host = config.domainName ?? this.loadBalancer.dnsName
    this.url = pulumi.interpolate`${scheme}://${host}${config.basePath}`
    this.registerOutputs({ url: this.url })
  }

  private httpsListeners(name: string, certificateArn: string, sslPolicy: string): aws.lb.Listener[] {
    const redirect = { type: 'redirect', redirect: { protocol: 'HTTPS', port: String(HTTPS_PORT), statusCode: 'HTTP_301' } }
    return [
      this.listener(`${name}-https`, HTTPS_PORT, this.forward(), { protocol: 'HTTPS', certificateArn, sslPolicy }),
      this.listener(`${name}-http`, HTTP_PORT, redirect),
    ]
  }

  private forward() {
    return { type: 'forward', targetGroupArn: this.targetGroup.arn }
  }

  private listener(name: string, port: number, action: aws.types.input.lb.ListenerDefaultAction, tls?: Partial<aws.lb.ListenerArgs>): aws.lb.Listener {
    return new aws.lb.Listener(name, { loadBalancerArn: this.loadBalancer.arn, port, protocol: 'HTTP', defaultActions: [action], ...tls }, { parent: this })
  }
}
