// The request-scoped leg (stack config `lambda: true`, docs/serverless.md): the same server as an AWS Lambda
// function (ARM64, the bundle of `npm run build:lambda` zipped: one module to load at init, measured against the
// unbundled build in docs/serverless.md), behind a function URL in RESPONSE_STREAM mode and a CloudFront
// distribution of its own. It serves MCP 2026-07-28 and stateless 2025 requests from the same catalog and keys;
// what needs a session is pointed at the service's URL.
//
// CloudFront → function URL: origin access control would have CloudFront sign requests, but for a POST "your users
// must include the payload hash value in the x-amz-content-sha256 header … Lambda doesn't support unsigned
// payloads" (CloudFront Developer Guide, "Restrict access to an AWS Lambda function URL origin"), and no MCP client
// sends one. So the URL's AuthType is NONE and CloudFront adds a secret origin header the handler checks
// (MCP_LAMBDA_ORIGIN_SECRET, app/lambda/events.ts); a request straight to the URL gets 403.
import { join } from 'node:path'
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { oauthModeOf, type OAuthEnvironment } from './oauth'
// The service's behaviour: nothing cached, every viewer header but Host passed on (Host must not reach a function
// URL either: it routes by it), with CloudFront's own headers, CloudFront-Viewer-Address among them, which the
// handler reads for the client's address (CloudFront Developer Guide, "Add CloudFront request headers").
import { passThrough } from './edge'
import { randomPassword } from './secrets'

/** Where `npm run build:lambda` writes the handler bundle (scripts/build-lambda.mjs). */
export const LAMBDA_BUNDLE = '.build/lambda.bundle/index.mjs'
/** The header the handler checks (app/lambda/events.ts ORIGIN_SECRET_HEADER). */
export const ORIGIN_SECRET_HEADER = 'X-MCP-Origin-Secret'
/** The Node.js runtime the bundle targets (esbuild `target: node24` in scripts/build-lambda.mjs): the image's Node, inside package.json's engines range. */
export const LAMBDA_RUNTIME = 'nodejs24.x'
const ORIGIN_ID = 'function-url'

/** The function's zip: the bundle as `index.mjs` (handler `index.handler`), from the repository at `root`. */
export function functionCode(root: string): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({ 'index.mjs': new pulumi.asset.FileAsset(join(root, LAMBDA_BUNDLE)) })
}

/**
 * A secret as `toolSecrets` names it for ECS (`<secret ARN>[:<json-key>:<version-stage>:<version-id>]`, ECS Developer
 * Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables"), read the way ECS reads it: the
 * version asked for (else the current one), and the JSON key's value when one is named.
 */
export function secretReferenceValue(reference: string, parent: pulumi.Resource): pulumi.Output<string> {
  const [, arn, jsonKey, versionStage, versionId] = /^(arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:[^:]+)(?::([^:]*):([^:]*):([^:]*))?$/.exec(reference) ?? [, reference]
  const version = aws.secretsmanager.getSecretVersionOutput({ secretId: arn!, ...(versionStage && { versionStage }), ...(versionId && { versionId }) }, { parent })
  return pulumi.secret(version.secretString.apply((text) => (jsonKey ? String((JSON.parse(text) as Record<string, unknown>)[jsonKey]) : text)))
}

export interface ServerlessLegArgs {
  config: InfraConfig
  label: string
  /** The service's URL: where sessions are (MCP_SESSION_URL), named in the function's refusals. */
  sessionUrl: pulumi.Input<string>
  apiKeysSecretArn: pulumi.Input<string>
  /** The stack's OAuth settings, the ones the tasks get (./oauth.ts, oauthEnvironment): all unset without OAuth. */
  oauth: pulumi.Input<OAuthEnvironment>
  /** With a cache: the function joins the tasks' subnets and security group, and its limits live in Redis. */
  cache?: { urlSecretArn: pulumi.Input<string>; privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupId: pulumi.Input<string> }
}

export class ServerlessLeg extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function
  readonly functionUrl: aws.lambda.FunctionUrl
  readonly distribution: aws.cloudfront.Distribution
  readonly logGroup: aws.cloudwatch.LogGroup
  readonly url: pulumi.Output<string>
  /** With OAuth: the SSM parameter holding the leg's public URL, which the function reads at init. */
  readonly publicUrlParameter?: aws.ssm.Parameter

  constructor(name: string, args: ServerlessLegArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:ServerlessLeg', name, {}, opts)
    const { config } = args
    const child = { parent: this }
    // Its own log group, created before the function so Lambda never creates one without retention.
    this.logGroup = new aws.cloudwatch.LogGroup(name, { name: `/aws/lambda/${args.label}-${name}`, retentionInDays: config.logRetentionDays }, child)
    const role = this.role(name, args)
    const originSecret = randomPassword(48, this)
    // The function reads its secrets (the keys, the cache URL, `toolSecrets`) from its environment (encrypted at
    // rest by Lambda); their values are read from Secrets Manager at each `pulumi up`, so a rotated key reaches
    // the function with the next update.
    const secretValue = (id: pulumi.Input<string>) => pulumi.secret(aws.secretsmanager.getSecretVersionOutput({ secretId: id }, child).secretString)
    const toolSecrets = Object.fromEntries(Object.entries(config.toolSecrets).map(([variable, reference]) => [variable, secretReferenceValue(reference, this)]))
    const variables = {
      NODE_ENV: 'production',
      LOG_LEVEL: config.logLevel,
      MCP_BASE_PATH: config.basePath,
      MCP_HEARTBEAT_MS: String(config.heartbeatMs),
      MCP_SESSION_URL: args.sessionUrl,
      MCP_LAMBDA_ORIGIN_SECRET: originSecret,
      MCP_API_KEYS: secretValue(args.apiKeysSecretArn),
      ...(args.cache && { REDIS_URL: secretValue(args.cache.urlSecretArn) }),
      ...config.toolSettings,
      ...toolSecrets,
    }
    const oauthOn = oauthModeOf(config) !== 'none'
    const publicUrlParameterName = `/${args.label}/${name}/public-url`
    this.function = new aws.lambda.Function(name, {
      name: `${args.label}-${name}`,
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ['arm64'],
      handler: 'index.handler',
      // Built by `npm run build:lambda` before `pulumi up` (docs/serverless.md); Pulumi names the path if it is missing.
      code: functionCode(process.cwd()),
      memorySize: config.lambdaMemoryMb,
      timeout: config.lambdaTimeoutSeconds,
      reservedConcurrentExecutions: config.lambdaReservedConcurrency,
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      // With OAuth, the same settings as the tasks, and where to read the leg's public URL (publicUrlParameter).
      // The leg is a resource of its own, `<its URL>/mcp`: unset, MCP_OAUTH_AUDIENCE defaults to it. With Cognito
      // nothing more is needed: the client sends that URL as `resource` and "Amazon Cognito sets the requested URI
      // as the audience in the aud claim of the access token" (Cognito Developer Guide, "Scopes, M2M, and resource
      // servers", Resource binding; ./oauth.ts); the resource server's identifier only prefixes scopes.
      environment: { variables: withOAuth(variables, args.oauth, oauthOn ? publicUrlParameterName : undefined) },
      ...(args.cache && { vpcConfig: { subnetIds: args.cache.privateSubnetIds, securityGroupIds: [args.cache.securityGroupId] } }),
    }, { ...child, dependsOn: [this.logGroup] })
    this.functionUrl = new aws.lambda.FunctionUrl(name, { functionName: this.function.name, authorizationType: 'NONE', invokeMode: 'RESPONSE_STREAM' }, child)
    // AuthType NONE still needs the function's resource policy to let anyone call the URL, and new function URLs
    // need both actions, the second only through the URL (Lambda Developer Guide, "Control access to Lambda
    // function URLs": "new function URLs will require both lambda:InvokeFunctionUrl and lambda:InvokeFunction").
    new aws.lambda.Permission(`${name}-url`, { function: this.function.name, action: 'lambda:InvokeFunctionUrl', principal: '*', functionUrlAuthType: 'NONE' }, child)
    new aws.lambda.Permission(`${name}-invoke`, { function: this.function.name, action: 'lambda:InvokeFunction', principal: '*', invokedViaFunctionUrl: true }, child)
    this.distribution = this.edge(name, config, originSecret)
    this.url = pulumi.interpolate`https://${this.distribution.domainName}${config.basePath}`
    if (oauthOn) this.publicUrlParameter = this.publishPublicUrl(name, publicUrlParameterName, role)
    this.registerOutputs({ url: this.url, functionName: this.function.name })
  }

  /**
   * The leg's URL, where the function reads it at init (app/lambda/public-url.ts): its resource identifiers are built
   * from it. It cannot be in the function's environment: the distribution's domain exists only once the distribution
   * does, which needs the function URL as its origin, which needs the function. A plain String parameter: a URL is
   * no secret. The function may read this parameter and no other.
   */
  private publishPublicUrl(name: string, parameterName: string, role: aws.iam.Role): aws.ssm.Parameter {
    const parameter = new aws.ssm.Parameter(`${name}-public-url`, { name: parameterName, type: 'String', value: this.url, description: 'MCP server, request-scoped leg: its public URL (MCP_PUBLIC_URL)' }, { parent: this })
    new aws.iam.RolePolicy(`${name}-public-url`, {
      role: role.id,
      policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameter.arn }] }),
    }, { parent: this })
    return parameter
  }

  /** Writes its own log streams, and (with a cache) manages its network interfaces in the VPC; nothing else. */
  private role(name: string, args: ServerlessLegArgs): aws.iam.Role {
    const role = new aws.iam.Role(name, {
      assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }, { parent: this })
    new aws.iam.RolePolicy(`${name}-logs`, {
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: pulumi.interpolate`${this.logGroup.arn}:*` }],
      }),
    }, { parent: this })
    if (args.cache) {
      new aws.iam.RolePolicyAttachment(`${name}-vpc`, { role: role.name, policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' }, { parent: this })
    }
    return role
  }

  /** CloudFront in front of the function URL: HTTPS on *.cloudfront.net, nothing cached, the origin secret added. */
  private edge(name: string, config: InfraConfig, originSecret: pulumi.Output<string>): aws.cloudfront.Distribution {
    return new aws.cloudfront.Distribution(name, {
      enabled: true,
      comment: 'MCP server, request-scoped leg (AWS Lambda)',
      httpVersion: 'http2and3',
      priceClass: 'PriceClass_100',
      origins: [{
        originId: ORIGIN_ID,
        // https://<url-id>.lambda-url.<region>.on.aws/ → its host name
        domainName: this.functionUrl.functionUrl.apply((url) => new URL(url).host),
        customOriginConfig: {
          httpPort: 80,
          httpsPort: 443,
          originProtocolPolicy: 'https-only',
          originSslProtocols: ['TLSv1.2'],
          // The longest silence CloudFront accepts within a response: above two heartbeats (config check).
          originReadTimeout: config.originReadTimeoutSeconds,
          originKeepaliveTimeout: config.originKeepaliveTimeoutSeconds,
        },
        customHeaders: [{ name: ORIGIN_SECRET_HEADER, value: originSecret }],
      }],
      defaultCacheBehavior: passThrough(ORIGIN_ID, this),
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: { cloudfrontDefaultCertificate: true },
    }, { parent: this })
  }
}

/**
 * The function's variables with the stack's OAuth settings added, the ones the tasks get (unset ones left out), and
 * with OAuth on the parameter that holds the leg's public URL (MCP_LAMBDA_PUBLIC_URL_PARAMETER).
 */
function withOAuth(variables: Record<string, pulumi.Input<string>>, oauth: pulumi.Input<OAuthEnvironment>, publicUrlParameter: string | undefined): pulumi.Output<Record<string, string>> {
  return pulumi.all([pulumi.all(variables), oauth]).apply(([plain, settings]): Record<string, string> => ({
    ...plain,
    ...Object.fromEntries(Object.entries(settings).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    ...(publicUrlParameter && { MCP_LAMBDA_PUBLIC_URL_PARAMETER: publicUrlParameter }),
  }))
}
