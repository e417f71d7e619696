// Runs the Pulumi program in infra/ under Pulumi's mocks (no AWS account, no Pulumi CLI) and records what it
// declares: every resource with the inputs the program gave it, and the stack outputs. The mocks only play
// AWS's part (ids, ARNs, DNS names, a random password); every value asserted comes from the program.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as pulumi from '@pulumi/pulumi'
import { parse } from 'yaml'

export const PROJECT = 'mcp-fargate'
export const STACK = 'test'

export const DEV_STACK_FILE = new URL('../../Pulumi.dev.yaml', import.meta.url)

/** Pulumi.dev.yaml's config as the Pulumi CLI hands it to a program: strings as they are, anything else as JSON. */
export function devStackConfig(): Record<string, string> {
  const { config } = parse(readFileSync(DEV_STACK_FILE, 'utf8')) as { config: Record<string, unknown> }
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]))
}

export interface DeclaredResource {
  type: string
  name: string
  id: string
  inputs: Record<string, any>
  /** `type::name` of every resource named in its `dependsOn` option. */
  dependencies: string[]
  /** The resource options mocks do not act on, as the program gave them: what a real update or delete obeys. */
  options: Pick<pulumi.CustomResourceOptions, 'retainOnDelete' | 'ignoreChanges' | 'deleteBeforeReplace' | 'replaceOnChanges' | 'protect'>
  /** The attributes the program reads back: its inputs and what AWS computes (ARNs, ARN suffixes, DNS names). */
  state: Record<string, any>
}

export interface ProgramRun {
  resources: DeclaredResource[]
  outputs: Record<string, unknown>
  /** Every value the mocked Secrets Manager generated: none may appear in an output. */
  generatedSecrets: string[]
  ofType(type: string): DeclaredResource[]
  one(type: string, name?: string): DeclaredResource
  byId(id: string): DeclaredResource
}

export const MOCK_ACCOUNT = '123456789012'
export const MOCK_VPC = { vpcId: 'vpc-1', publicSubnetIds: ['subnet-public-a', 'subnet-public-b'], privateSubnetIds: ['subnet-private-a', 'subnet-private-b'], routeTables: [] }
export const MOCK_DIGEST = `sha256:${'0'.repeat(64)}`
/**
 * The zones the mocked region lists, by name and zone ID, in AWS's order: the first is one CloudFront VPC
 * origins do not support (use1-az3), as it can be in a real account.
 */
export const MOCK_ZONES = { names: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'], zoneIds: ['use1-az3', 'use1-az6', 'use1-az1', 'use1-az2'] }
/** A few entries of CloudFront's origin-facing prefix list (the real one holds some fifty ranges). */
export const MOCK_ORIGIN_FACING_CIDRS = ['120.52.22.96/27', '130.176.0.0/18', '15.158.0.0/16']

// What AWS would compute for a resource (the attributes the program reads back), by resource type.
function computed(type: string, name: string): Record<string, unknown> {
  const arn = `arn:aws:mock:us-east-1:123456789012:${type.split(':')[1]}/${name}`
  const common = { arn, name }
  switch (type) {
    case 'awsx:ec2:Vpc':
      return MOCK_VPC
    case 'docker-build:index:Image':
      return { digest: MOCK_DIGEST }
    case 'aws:ecr/repository:Repository':
      return { ...common, registryId: MOCK_ACCOUNT, repositoryUrl: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${name}` }
    case 'aws:lb/loadBalancer:LoadBalancer':
      return { ...common, arnSuffix: `app/${name}/1`, dnsName: `${name}-1.us-east-1.elb.amazonaws.com`, zoneId: 'Z35SXDOTRQ7X7K' }
    case 'aws:cloudfront/distribution:Distribution':
      // The service's distribution has AWS's documentation example domain; any other (the Lambda leg's) its own.
      return { ...common, domainName: name === 'mcp-edge' ? 'd111111abcdef8.cloudfront.net' : `d-${name}.cloudfront.net` }
    case 'aws:acm/certificate:Certificate':
      return { ...common, domainValidationOptions: [{ domainName: 'mcp.example.com', resourceRecordName: '_x1.mcp.example.com.', resourceRecordType: 'CNAME', resourceRecordValue: '_x2.acm-validations.aws.' }] }
    case 'aws:acm/certificateValidation:CertificateValidation':
      return { certificateArn: `arn:aws:acm:us-east-1:123456789012:certificate/${name}` }
    case 'aws:route53/record:Record':
      return { ...common, fqdn: `${name}.mcp.example.com` }
    case 'aws:s3/bucket:Bucket':
      return { ...common, bucket: `${name}-bucket` }
    case 'aws:lb/targetGroup:TargetGroup':
      return { ...common, arnSuffix: `targetgroup/${name}/1` }
    case 'aws:elasticache/replicationGroup:ReplicationGroup':
      return { ...common, primaryEndpointAddress: `master.${name}.cache.amazonaws.com` }
    case 'aws:lambda/function:Function':
      return { ...common, responseStreamingInvokeArn: `arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/${arn}/response-streaming-invocations` }
    case 'aws:apigateway/restApi:RestApi':
      return { ...common, rootResourceId: `${name}-root`, executionArn: `arn:aws:execute-api:us-east-1:123456789012:${name}-id` }
    case 'aws:apigateway/stage:Stage':
      return { ...common, invokeUrl: `https://${name}-api.execute-api.us-east-1.amazonaws.com/live` }
    case 'aws:lambda/functionUrl:FunctionUrl':
      return { ...common, functionUrl: `https://${name}-id.lambda-url.us-east-1.on.aws/` }
    case 'aws:secretsmanager/secret:Secret':
      return { ...common, arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf` }
    default:
      return common
  }
}

export async function runProgram(config: Record<string, string> = {}): Promise<ProgramRun> {
  const resources: DeclaredResource[] = []
  const generatedSecrets: string[] = []
  // What each resource was told to wait for (`dependsOn`) and its other options, which the mocks do not see.
  const names = new Map<pulumi.Resource, string>()
  const dependsOn = new Map<string, string[]>()
  const options = new Map<string, DeclaredResource['options']>()
  const allConfig = Object.fromEntries(Object.entries(config).map(([key, value]) => [key.includes(':') ? key : `${PROJECT}:${key}`, value]))
  const region = allConfig['aws:region'] ?? 'us-east-1'
  pulumi.runtime.setAllConfig(allConfig)
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const id = `${args.name}-id`
        const state = { ...computed(args.type, args.name), ...args.inputs }
        resources.push({ type: args.type, name: args.name, id, inputs: args.inputs, state, dependencies: [], options: {} })
        return { id, state }
      },
      call(args) {
        switch (args.token) {
          case 'aws:index/getRegion:getRegion':
            return { region, name: region }
          case 'aws:index/getAvailabilityZones:getAvailabilityZones':
            return { ...MOCK_ZONES, id: region }
          case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
            return { proxyEndpoint: `https://${args.inputs.registryId}.dkr.ecr.${region}.amazonaws.com`, userName: 'AWS', password: 'ecr-token', authorizationToken: 'x' }
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/ops`, userId: 'ops' }
          case 'aws:ec2/getManagedPrefixList:getManagedPrefixList':
            return { id: `pl-${args.inputs.name}`, name: args.inputs.name, entries: MOCK_ORIGIN_FACING_CIDRS.map((cidr) => ({ cidr, description: '' })) }
          case 'aws:cloudfront/getCachePolicy:getCachePolicy':
          case 'aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy':
            return { id: `policy-${args.inputs.name}`, name: args.inputs.name }
          case 'aws:secretsmanager/getSecretVersion:getSecretVersion':
            return {
              ...args.inputs,
              arn: args.inputs.secretId,
              // A secret whose name says json holds a JSON object, as a tool's secret may.
              secretString: args.inputs.secretId.includes(':secret:json-') ? JSON.stringify({ apiKey: `json-value-of:${args.inputs.secretId}@${args.inputs.versionStage}` }) : `current-value-of:${args.inputs.secretId}`,
              versionId: 'v1',
            }
          case 'aws:elb/getServiceAccount:getServiceAccount':
            return { id: '127311923021', arn: 'arn:aws:iam::127311923021:root' }
          case 'aws:secretsmanager/getRandomPassword:getRandomPassword': {
            const value = randomBytes(48).toString('base64url').replace(/[-_]/g, '').slice(0, args.inputs.passwordLength)
            generatedSecrets.push(value)
            return { ...args.inputs, randomPassword: value }
          }
          default:
            throw new Error(`the program invoked ${args.token}, which these mocks do not know`)
        }
      },
    },
    PROJECT,
    STACK,
    false,
  )
  // Inside a root stack, as the Pulumi CLI runs a program: stack transformations need one.
  let program: Record<string, unknown> = {}
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      names.set(args.resource, `${args.type}::${args.name}`)
      const listed = [args.opts.dependsOn ?? []].flat() as pulumi.Resource[]
      dependsOn.set(`${args.type}::${args.name}`, listed.map((resource) => names.get(resource) ?? 'unknown'))
      const { retainOnDelete, ignoreChanges, deleteBeforeReplace, replaceOnChanges, protect } = args.opts as pulumi.CustomResourceOptions
      options.set(`${args.type}::${args.name}`, { retainOnDelete, ignoreChanges, deleteBeforeReplace, replaceOnChanges, protect })
      return undefined
    })
    program = (await import('../../infra/index.js')).default as Record<string, unknown>
  })
  const outputs: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(program)) outputs[key] = pulumi.Output.isInstance(value) ? await resolve(value) : value
  await pulumi.runtime.disconnect()
  for (const resource of resources) {
    resource.dependencies = dependsOn.get(`${resource.type}::${resource.name}`) ?? []
    resource.options = options.get(`${resource.type}::${resource.name}`) ?? {}
  }
  const ofType = (type: string) => resources.filter((resource) => resource.type === type)
  return {
    resources,
    outputs,
    generatedSecrets,
    ofType,
    one(type, name) {
      const found = ofType(type).filter((resource) => name === undefined || resource.name === name)
      if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length}`)
      return found[0]!
    },
    byId(id) {
      const found = resources.find((resource) => resource.id === id)
      if (!found) throw new Error(`no resource with id ${id}`)
      return found
    },
  }
}

function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((done) => output.apply(done))
}

/** Every container definition of the task definition, as ECS receives them. */
export function containers(run: ProgramRun): Record<string, any>[] {
  return JSON.parse(run.one('aws:ecs/taskDefinition:TaskDefinition').inputs.containerDefinitions) as Record<string, any>[]
}

/** A container's environment as a map. */
export function environmentOf(definition: Record<string, any>): Record<string, string> {
  return Object.fromEntries((definition.environment as { name: string; value: string }[]).map(({ name, value }) => [name, value]))
}

/** The app's container definition (the first, named `mcp`), with its environment as a map. */
export function appContainer(run: ProgramRun): { definition: Record<string, any>; env: Record<string, string> } {
  const [definition] = containers(run)
  if (definition?.name !== 'mcp') throw new Error(`expected the app container first, found ${definition?.name}`)
  return { definition, env: environmentOf(definition) }
}

export const INGRESS_RULE = 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule'
export const EGRESS_RULE = 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule'
export const SECURITY_GROUP = 'aws:ec2/securityGroup:SecurityGroup'
