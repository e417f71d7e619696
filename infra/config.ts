// Stack configuration: every tunable of the deployment, read from `Pulumi.<stack>.yaml` (namespace = project
// name), given its default and validated with zod before any resource is declared, so a bad value stops
// `pulumi up` with one line per problem instead of failing half-way through a deployment.
import * as pulumi from '@pulumi/pulumi'
import { z } from 'zod'
import { DEFAULT_CALLBACK_URLS, OAUTH_VARIABLES, isCognitoCallbackUrl, oauthModeOf } from './oauth'
import { TRACING_VARIABLES } from './tracing'

// The only retention periods CloudWatch Logs accepts.
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const

// Fargate's valid memory (MiB) for each task CPU size.
const FARGATE_MEMORY: Record<number, { min: number; max: number; step: number }> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
}

const port = z.int().min(1024).max(65535)
const percent = z.number().gt(0).max(100)
/**
 * CloudFront's origin timeouts for a VPC origin: "The minimum timeout is 1 second, the maximum is 120 seconds"
 * (CloudFront API Reference, VpcOriginConfig: OriginReadTimeout and OriginKeepaliveTimeout).
 */
const originTimeout = z.int().min(1).max(120)
/** A name the container's environment can hold. */
const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
/**
 * A Secrets Manager secret as ECS takes it in a container's `secrets`: the secret's full ARN (with the six
 * characters Secrets Manager appends to its name), optionally followed by `:<json-key>:<version-stage>:<version-id>`
 * (ECS Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables").
 */
const secretReference = z
  .string()
  .regex(/^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?$/, 'a Secrets Manager secret ARN (complete, optionally with :json-key:version-stage:version-id)')
/**
 * An authorization server's issuer: "a URL that uses the https scheme and has no query or fragment components"
 * (RFC 8414 §2, `issuer`).
 */
const issuerUrl = z.url({ protocol: /^https$/ }).refine((value) => !/[?#]/.test(value), 'an https URL without query or fragment')
/** An OAuth scope token (RFC 6749 §3.3: printable ASCII but space, `"` and `\`). */
const scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope: printable ASCII without spaces, quotes or backslashes')
/** A scope name of a Cognito resource server (Cognito API Reference, ResourceServerScopeType: ScopeName, no `/`). */
const cognitoScopeName = z.string().max(256).regex(/^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$/, 'a scope name: printable ASCII without spaces, quotes, backslashes or slashes')
/**
 * A Cognito domain prefix: lower-case letters, digits and inner hyphens, at most 63 characters, and none of the
 * reserved words `aws`, `amazon`, `cognito` (Cognito Developer Guide, "Using the Amazon Cognito prefix domain").
 */
const cognitoDomainPrefix = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and inner hyphens, at most 63 characters')
  .refine((value) => !/aws|amazon|cognito/.test(value), 'may not contain aws, amazon or cognito')

/**
 * Variables the stack itself sets in the container (./container.ts types its environment and secrets with this
 * list, so the two cannot drift apart): a tool's setting or secret may not take one of these names.
 */
export const STACK_SET_VARIABLES = [
  'NODE_ENV', 'NODE_OPTIONS', 'PORT', 'MCP_PEER_PORT', 'MCP_BASE_PATH', 'LOG_LEVEL', 'MCP_PUBLIC_URL', 'MCP_TRUST_PROXY',
  'MCP_ALLOWED_ORIGINS', 'MCP_HEARTBEAT_MS', 'MCP_DRAIN_MS', 'MCP_KEEP_ALIVE_TIMEOUT_MS', 'MCP_MAX_SESSIONS', 'MCP_MAX_SESSIONS_PER_KEY',
  'MCP_EMF_NAMESPACE', 'MCP_EMF_SERVICE_NAME', 'MCP_API_KEYS', 'MCP_SESSION_SECRET', 'REDIS_URL', ...OAUTH_VARIABLES,
  ...TRACING_VARIABLES,
] as const
export type StackSetVariable = (typeof STACK_SET_VARIABLES)[number]

/**
 * What the app needs between SIGTERM's drain and ECS's SIGKILL: the forced close of lingering connections
 * (1 s in app/main.ts), closing the server and the process exit, with room to spare.
 */
export const STOP_MARGIN_MS = 5_000

/**
 * How clients reach the service (docs/deploy.md "HTTPS"): CloudFront's default certificate in front of an internal ALB
 * (default, no domain needed), the ALB itself on a domain with an ACM certificate, or plain HTTP for a
 * throw-away dev stack only.
 */
export type Exposure = 'cloudfront' | 'domain' | 'dev-plain-http'

export const configSchema = z
  .strictObject({
    // network
    vpcCidr: z.cidrv4().default('10.0.0.0/16'),
    availabilityZones: z.int().min(2).max(6).default(2),
    natGateways: z.enum(['single', 'onePerAz', 'none']).default('single'),
    vpcEndpoints: z.boolean().default(false),
    allowedCidrs: z.array(z.cidrv4()).min(1).default(['0.0.0.0/0']),
    // HTTPS and the load balancer
    domainName: z.string().regex(/^[a-z0-9.-]+$/i, 'a host name').optional(),
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]+$/, 'a Route 53 hosted zone id').optional(),
    certificateArn: z.string().regex(/^arn:aws[\w-]*:acm:/, 'an ACM certificate ARN').optional(),
    devOnlyPlainHttp: z.boolean().default(false),
    sslPolicy: z.string().default('ELBSecurityPolicy-TLS13-1-2-2021-06'),
    originReadTimeoutSeconds: originTimeout.default(60),
    originKeepaliveTimeoutSeconds: originTimeout.default(5),
    idleTimeoutSeconds: z.int().min(1).max(4000).default(60),
    deregistrationDelaySeconds: z.int().min(0).max(3600).default(30),
    accessLogsEnabled: z.boolean().default(true),
    accessLogRetentionDays: z.int().min(1).default(30),
    // task
    cpu: z.literal([256, 512, 1024, 2048, 4096]).default(512),
    memory: z.int().default(1024),
    cpuArchitecture: z.enum(['X86_64', 'ARM64']).default('X86_64'),
    fargateSpotWeight: z.int().min(0).max(1000).default(0),
    desiredCount: z.int().min(1).default(2),
    minTasks: z.int().min(1).default(2),
    maxTasks: z.int().min(1).default(10),
    containerPort: port.default(3000),
    peerPort: port.default(3001),
    basePath: z.string().regex(/^(\/[\w.~-]+)*$/, 'empty or like /team-a').default(''),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    allowedOrigins: z.array(z.url()).default([]),
    heartbeatMs: z.int().min(1000).default(15_000),
    drainMs: z.int().min(0).default(10_000),
    stopTimeoutSeconds: z.int().min(2).max(120).default(20),
    maxSessionsPerTask: z.int().min(1).default(1000),
    maxSessionsPerKey: z.int().min(1).default(100),
    logRetentionDays: z.literal(LOG_RETENTION_DAYS).default(30),
    emfNamespace: z.string().min(1).default('MCP/Server'),
    // your tools' own settings: plain values, and Secrets Manager secrets the tasks read at start-up
    toolSettings: z.record(variableName, z.string()).default({}),
    toolSecrets: z.record(variableName, secretReference).default({}),
    // scaling, alarms and dashboard
    cpuTargetPercent: percent.default(60),
    sessionsTargetPerTask: z.int().min(1).default(600),
    cpuAlarmPercent: percent.default(85),
    memoryAlarmPercent: percent.default(85),
    sessionsAlarmPercent: percent.default(80),
    http5xxAlarmCount: z.int().min(1).default(10),
    alarmEmail: z.email().optional(),
    dashboardEnabled: z.boolean().default(true),
    // tracing: the ADOT collector sidecar, traces to X-Ray (docs/operations.md "Seeing a call in X-Ray")
    tracingEnabled: z.boolean().default(false),
    // The share of traces started in a task that are recorded, OTEL_TRACES_SAMPLER_ARG of `traceidratio`: "a
    // probability, a number in the [0..1] range" (OpenTelemetry SDK environment variables specification).
    tracingSampleRatio: z.number().min(0).max(1).default(1),
    // cache
    cacheEnabled: z.boolean().default(false),
    cacheEngine: z.enum(['valkey', 'redis']).default('valkey'),
    cacheNodeType: z.string().default('cache.t4g.micro'),
    cacheNodes: z.int().min(1).max(6).default(1),
    // signing in with OAuth: none (default), an external issuer, or Cognito (docs/stack-configuration.md)
    oauthIssuer: issuerUrl.optional(),
    oauthAudience: z.array(z.string().regex(/^\S+$/, 'an audience without spaces')).default([]),
    oauthRequiredScopes: z.array(scope).default([]),
    cognitoEnabled: z.boolean().default(false),
    cognitoDomainPrefix: cognitoDomainPrefix.optional(),
    cognitoScopes: z.array(cognitoScopeName).min(1).max(100).default(['access']),
    cognitoCallbackUrls: z
      .array(z.string().max(1024).refine(isCognitoCallbackUrl, 'https, http to localhost / 127.0.0.1 / [::1], or an app scheme (myapp://…); no fragment'))
      .min(1)
      .max(100)
      .default(DEFAULT_CALLBACK_URLS),
    cognitoTokenCheck: z.enum(['audience', 'clientId']).default('audience'),
    lambda: z.boolean().default(false),
    // Lambda's limits: memory 128 MB to 10,240 MB, timeout at most 900 s (Lambda Developer Guide, "Lambda quotas").
    lambdaMemoryMb: z.int().min(128).max(10_240).default(1024),
    lambdaTimeoutSeconds: z.int().min(10).max(900).default(300),
    lambdaReservedConcurrency: z.int().min(1).default(50),
    // An API Gateway REST API in front of the function too, streaming (infra/rest-api.ts, docs/serverless.md).
    lambdaRestApi: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message })
    const memory = FARGATE_MEMORY[c.cpu]
    if (memory && (c.memory < memory.min || c.memory > memory.max || c.memory % memory.step !== 0)) {
      fail('memory', `Fargate cpu ${c.cpu} takes memory ${memory.min}..${memory.max} in steps of ${memory.step}`)
    }
    // The stop sequence (docs/deploy.md "Stopping a task"): for a deployment, ECS deregisters the task and waits
    // deregistrationDelaySeconds, only then sends SIGTERM (a Spot interruption sends it at once); the app drains
    // for drainMs and exits, and SIGKILL follows stopTimeoutSeconds after SIGTERM. So only the drain has to fit
    // in stopTimeout.
    if (c.stopTimeoutSeconds * 1000 < c.drainMs + STOP_MARGIN_MS) fail('stopTimeoutSeconds', `must be at least drainMs + ${STOP_MARGIN_MS / 1000} s`)
    // Two heartbeats fit in one idle period, so one lost ping does not cut an idle stream: at the ALB and at
    // CloudFront, whose origin read timeout is the longest gap it accepts between two packets of a response.
    if (c.idleTimeoutSeconds * 1000 <= 2 * c.heartbeatMs) fail('idleTimeoutSeconds', 'must exceed 2 × heartbeatMs')
    const exposure = exposureOf(c)
    if (exposure === 'cloudfront') {
      if (c.originReadTimeoutSeconds * 1000 <= 2 * c.heartbeatMs) fail('originReadTimeoutSeconds', 'must exceed 2 × heartbeatMs')
      // CloudFront must give up an idle origin connection before the ALB closes it, or it reuses a closed one (502).
      if (c.originKeepaliveTimeoutSeconds >= c.idleTimeoutSeconds) fail('originKeepaliveTimeoutSeconds', 'must be below idleTimeoutSeconds')
      if (c.allowedCidrs.join() !== '0.0.0.0/0') fail('allowedCidrs', 'restricts a public ALB only (domainName or devOnlyPlainHttp); behind CloudFront use AWS WAF')
    }
    // The function's own CloudFront distribution waits for the function as the service's does for the tasks.
    if (c.lambda && c.originReadTimeoutSeconds * 1000 <= 2 * c.heartbeatMs) fail('originReadTimeoutSeconds', 'must exceed 2 × heartbeatMs (the lambda leg streams through CloudFront too)')
    // A call is ended 3 s (MCP_LAMBDA_DEADLINE_MARGIN_MS) before the timeout: a shorter timeout leaves no call any time.
    if (c.lambda && c.lambdaTimeoutSeconds * 1000 <= 2 * c.heartbeatMs) fail('lambdaTimeoutSeconds', 'must exceed 2 × heartbeatMs, or every streamed call ends before its second heartbeat')
    if (c.lambdaRestApi && !c.lambda) fail('lambdaRestApi', 'needs lambda: true (it is a front door of the function)')
    // With OAuth the function is the resource named by one public URL, its CloudFront one (app/lambda/public-url.ts).
    if (c.lambdaRestApi && (c.oauthIssuer || c.cognitoEnabled)) fail('lambdaRestApi', 'not with OAuth: the function is a resource of one URL, its CloudFront one')
    if (c.domainName && !c.hostedZoneId && !c.certificateArn) fail('hostedZoneId', 'domainName needs hostedZoneId (a DNS-validated certificate and record) or certificateArn')
    if (c.certificateArn && !c.domainName) fail('certificateArn', 'needs domainName, the name the certificate covers')
    if (c.devOnlyPlainHttp && c.domainName) fail('devOnlyPlainHttp', 'cannot be combined with domainName (that stack serves HTTPS)')
    const stackSet = new Set<string>(STACK_SET_VARIABLES)
    for (const key of ['toolSettings', 'toolSecrets'] as const) {
      const taken = Object.keys(c[key]).filter((name) => stackSet.has(name))
      if (taken.length > 0) fail(key, `${taken.join(', ')}: set by the stack itself`)
    }
    const both = Object.keys(c.toolSettings).filter((name) => name in c.toolSecrets)
    if (both.length > 0) fail('toolSecrets', `${both.join(', ')}: also in toolSettings; a variable is either plain or secret`)
    if (c.minTasks > c.desiredCount || c.desiredCount > c.maxTasks) fail('desiredCount', 'must lie in minTasks..maxTasks')
    if (c.sessionsTargetPerTask >= c.maxSessionsPerTask) fail('sessionsTargetPerTask', 'must be below maxSessionsPerTask')
    if (c.peerPort === c.containerPort) fail('peerPort', 'must differ from containerPort')
    if (c.natGateways === 'none' && !c.vpcEndpoints) fail('vpcEndpoints', 'tasks without NAT need VPC endpoints to pull images')
    // The collector's image is pulled from ECR Public and its spans go to the X-Ray API: neither is behind the VPC
    // endpoints (./vpc-endpoints.ts), so without NAT the sidecar could never start or deliver.
    if (c.tracingEnabled && c.natGateways === 'none') fail('tracingEnabled', 'needs a NAT gateway (natGateways): the collector image comes from ECR Public and traces go to X-Ray')
    oauthProblems(c).forEach(([key, message]) => fail(key, message))
  })

export type InfraConfig = z.infer<typeof configSchema>

type OAuthKeys = 'oauthIssuer' | 'oauthAudience' | 'oauthRequiredScopes' | 'cognitoEnabled' | 'cognitoDomainPrefix' | 'cognitoScopes' | 'devOnlyPlainHttp' | 'natGateways'

/** What makes the OAuth keys contradict each other or the stack (each [key, problem]). */
function oauthProblems(c: Pick<InfraConfig, OAuthKeys>): [string, string][] {
  const problems: [string, string][] = []
  const mode = oauthModeOf(c)
  if (c.oauthIssuer && c.cognitoEnabled) problems.push(['cognitoEnabled', 'an external issuer (oauthIssuer) and Cognito exclude each other: choose one'])
  if (c.oauthAudience.length > 0 && mode !== 'issuer') problems.push(['oauthAudience', 'applies to an external issuer (oauthIssuer) only; with Cognito see cognitoTokenCheck'])
  if (c.oauthRequiredScopes.length > 0 && mode === 'none') problems.push(['oauthRequiredScopes', 'needs OAuth on (oauthIssuer or cognitoEnabled)'])
  if (c.cognitoDomainPrefix && !c.cognitoEnabled) problems.push(['cognitoDomainPrefix', 'needs cognitoEnabled'])
  const undefinedScopes = c.oauthRequiredScopes.filter((name) => !c.cognitoScopes.includes(name))
  if (c.cognitoEnabled && undefinedScopes.length > 0) problems.push(['oauthRequiredScopes', `${undefinedScopes.join(', ')}: not in cognitoScopes`])
  // Bearer tokens must not cross the internet in clear (OAuth 2.1 §1.5: TLS required), and Cognito binds a token only
  // to an https resource (or http://localhost).
  if (mode !== 'none' && c.devOnlyPlainHttp) problems.push(['devOnlyPlainHttp', 'OAuth needs HTTPS: access tokens would cross the internet in clear'])
  // A task (and the function in a VPC) fetches the issuer's metadata and keys before it serves, and stops without
  // them (app/http/oauth-resource.ts): without NAT it never starts. Cognito's issuer is no way round: "a user pool
  // with an assigned domain is incompatible with AWS PrivateLink" (Cognito Developer Guide, "Access Amazon Cognito
  // using an interface endpoint"), and the stack's pool has one for its sign-in pages.
  if (mode !== 'none' && c.natGateways === 'none') problems.push(['natGateways', 'OAuth needs a NAT gateway: each task fetches the issuer\'s metadata and keys from the internet before it serves'])
  return problems
}

export function exposureOf(config: Pick<InfraConfig, 'domainName' | 'devOnlyPlainHttp'>): Exposure {
  if (config.domainName) return 'domain'
  return config.devOnlyPlainHttp ? 'dev-plain-http' : 'cloudfront'
}

// Pulumi hands every value over as a string (objects and lists JSON-encoded); JSON decoding restores numbers,
// booleans and lists, and a value that is no JSON is a plain string.
function decode(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

export function parseConfig(values: Record<string, string>): InfraConfig {
  const result = configSchema.safeParse(Object.fromEntries(Object.entries(values).map(([key, value]) => [key, decode(value)])))
  if (!result.success) throw new pulumi.RunError(`invalid stack configuration:\n${z.prettifyError(result.error)}`)
  return result.data
}

/** The project's keys of the stack configuration (`<project>:<key>`), validated. */
export function loadConfig(): InfraConfig {
  const prefix = `${pulumi.getProject()}:`
  const own = Object.entries(pulumi.runtime.allConfig()).filter(([key]) => key.startsWith(prefix))
  return parseConfig(Object.fromEntries(own.map(([key, value]) => [key.slice(prefix.length), value])))
}
