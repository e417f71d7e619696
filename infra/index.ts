// Entry of the Pulumi program (`main: infra/` in Pulumi.yaml): the MCP server on ECS Fargate behind an ALB.
// Each concern is one component; this file only wires their outputs together. Stack outputs are the exports.
import * as pulumi from '@pulumi/pulumi'
import { AccessLogs } from './access-logs'
import { Alarms } from './alarms'
import { Autoscaling } from './autoscaling'
import { Cache } from './cache'
import { Cognito } from './cognito'
import { exposureOf, loadConfig } from './config'
import { inspectorCli, inspectorUi, modernClientCommands, oauthSignInSteps, readKeyCommand } from './connect'
import { Dashboard } from './dashboard'
import { Edge } from './edge'
import { ServerlessLeg } from './lambda'
import { StreamingRestApi } from './rest-api'
import { ContainerImage } from './image'
import { LoadBalancer } from './load-balancer'
import { Network } from './network'
import { oauthEnvironment, oauthModeOf } from './oauth'
import { AppSecrets } from './secrets'
import { SecurityGroups } from './security-groups'
import { AppService } from './service'
import { VpcEndpoints } from './vpc-endpoints'

const config = loadConfig()
const label = `${pulumi.getProject()}-${pulumi.getStack()}`

const network = new Network('mcp', config)
const securityGroups = new SecurityGroups('mcp', { config, vpcId: network.vpcId })
const endpoints = config.vpcEndpoints
  ? [new VpcEndpoints('mcp-endpoints', { vpcId: network.vpcId, privateSubnetIds: network.privateSubnetIds, routeTableIds: network.routeTableIds, taskSecurityGroupId: securityGroups.task.id })]
  : []
const cache = config.cacheEnabled
  ? new Cache('mcp-cache', { config, vpcId: network.vpcId, privateSubnetIds: network.privateSubnetIds, taskSecurityGroupId: securityGroups.task.id })
  : undefined
const secrets = new AppSecrets('mcp')
const image = new ContainerImage('mcp', config)
const accessLogs = config.accessLogsEnabled ? new AccessLogs('mcp-access-logs', config) : undefined
const loadBalancer = new LoadBalancer('mcp', {
  config,
  vpcId: network.vpcId,
  publicSubnetIds: network.publicSubnetIds,
  privateSubnetIds: network.privateSubnetIds,
  securityGroupId: securityGroups.loadBalancer.id,
  accessLogsBucket: accessLogs?.bucket.bucket,
}, { dependsOn: accessLogs ? [accessLogs.policy] : [] })
const edge = exposureOf(config) === 'cloudfront'
  ? new Edge('mcp-edge', { config, loadBalancerArn: loadBalancer.loadBalancer.arn, loadBalancerDnsName: loadBalancer.loadBalancer.dnsName })
  : undefined
/** What clients use: CloudFront's HTTPS URL by default, the domain's with one, the ALB's plain one in dev only. */
const publicUrl = edge?.url ?? loadBalancer.url
const oauthMode = oauthModeOf(config)
const cognito = oauthMode === 'cognito' ? new Cognito('mcp-cognito', { config, label }) : undefined
const oauth = cognito
  ? pulumi.all([cognito.issuer, cognito.client.id]).apply(([issuer, clientId]) => oauthEnvironment(config, { issuer, clientId }))
  : oauthEnvironment(config)
const app = new AppService('mcp', {
  config,
  label,
  imageUri: image.imageUri,
  repositoryArn: image.repository.arn,
  privateSubnetIds: network.privateSubnetIds,
  securityGroupId: securityGroups.task.id,
  targetGroupArn: loadBalancer.targetGroup.arn,
  publicUrl,
  apiKeysSecretArn: secrets.apiKeys.arn,
  sessionSecretArn: secrets.sessionSecret.arn,
  redisUrlSecretArn: cache?.urlSecret.arn,
  trustedProxies: securityGroups.trustedProxies,
  oauth,
  // With a cache, the tasks wait for all of it (its security-group rules, the replication group, the URL secret's
  // value): a task started before the task → cache rule exists cannot reach Redis and is not ready. With Cognito,
  // for its domain: the app reads the issuer's metadata, whose endpoints are the domain's, before it serves.
  startAfter: [secrets, ...loadBalancer.listeners, ...securityGroups.rules, ...endpoints, ...(cache ? [cache] : []), ...(cognito ? [cognito] : [])],
})
const serverless = config.lambda
  ? new ServerlessLeg('mcp-lambda', {
    config,
    label,
    sessionUrl: publicUrl,
    apiKeysSecretArn: secrets.apiKeys.arn,
    oauth,
    cache: cache && { urlSecretArn: cache.urlSecret.arn, privateSubnetIds: network.privateSubnetIds, securityGroupId: securityGroups.task.id },
  })
  : undefined
const restApi = serverless && config.lambdaRestApi
  ? new StreamingRestApi('mcp-lambda-api', { label, function: serverless.function, timeoutSeconds: config.lambdaTimeoutSeconds, basePath: config.basePath })
  : undefined
new Autoscaling('mcp', { config, label, clusterName: app.cluster.name, serviceName: app.service.name })
const alarms = new Alarms('mcp', {
  config,
  label,
  clusterName: app.cluster.name,
  serviceName: app.service.name,
  serviceArn: app.service.id,
  loadBalancerArnSuffix: loadBalancer.loadBalancer.arnSuffix,
  targetGroupArnSuffix: loadBalancer.targetGroup.arnSuffix,
  functionName: serverless?.function.name,
  restApiDimensions: restApi?.metricDimensions,
})
const dashboard = config.dashboardEnabled
  ? new Dashboard('mcp', {
    config,
    label,
    cluster: app.cluster,
    service: app.service,
    loadBalancer: loadBalancer.loadBalancer,
    targetGroup: loadBalancer.targetGroup,
    alarms: alarms.alarms,
  })
  : undefined

export const url = publicUrl
export const sseUrl = pulumi.interpolate`${url}/sse`
export const streamableHttpUrl = pulumi.interpolate`${url}/mcp`
export const apiKeysSecretArn = secrets.apiKeys.arn
export const apiKeyCommand = readKeyCommand(apiKeysSecretArn)
export const inspectorCommand = url.apply(inspectorCli)
export const inspectorUiCommand = url.apply(inspectorUi)
export const logGroupName = app.logGroup.name
export const clusterName = app.cluster.name
export const serviceName = app.service.name
export const alarmTopicArn = alarms.topic.arn
export const dashboardName = dashboard?.dashboardName
export const dashboardUrl = dashboard?.url
/** The cache's endpoint, without its AUTH token (the tasks read the full URL from a secret). */
export const redisUrl = cache?.endpoint
export const accessLogsBucket = accessLogs?.bucket.bucket
export const cloudFrontDistributionId = edge?.distribution.id
/** With OAuth: the authorization server that signs people in, and what to type into each client (./connect.ts). */
export const oauthIssuer = oauthMode === 'none' ? undefined : cognito?.issuer ?? config.oauthIssuer
export const oauthClientId = cognito?.client.id
export const oauthClientSetup = oauthMode === 'none' ? undefined : pulumi.all([url, oauthClientId]).apply(([server, clientId]) => oauthSignInSteps(server, clientId))
/** Cognito: the user pool people are added to, and its sign-in domain. */
export const cognitoUserPoolId = cognito?.userPool.id
export const cognitoDomainUrl = cognito?.domainUrl
/** With `lambda: true`: the request-scoped leg's URL (MCP 2026-07-28 and stateless 2025 clients) and how to connect. */
export const lambdaUrl = serverless?.url
export const lambdaFunctionName = serverless?.function.name
export const lambdaLogGroupName = serverless?.logGroup.name
export const lambdaClientCommands = serverless?.url.apply(modernClientCommands)
/** With `lambdaRestApi: true`: the leg's URL through API Gateway, and how to connect there. */
export const lambdaRestApiUrl = restApi?.url
export const lambdaRestApiClientCommands = restApi?.url.apply(modernClientCommands)
/** With OAuth and `lambda: true`: what to type into each client to sign in on the leg (the same client as the service). */
export const lambdaOAuthClientSetup = serverless && oauthMode !== 'none' ? pulumi.all([serverless.url, oauthClientId]).apply(([server, clientId]) => oauthSignInSteps(server, clientId)) : undefined
