// `lambdaRestApi: true`: an API Gateway REST API as a second front door of the request-scoped leg, beside its
// CloudFront distribution, for teams that want API Gateway's own features (usage plans, AWS WAF on the stage,
// its access logs: this component sets none of them up). It costs more than the function URL: API Gateway bills
// every request, and streamed responses too (API Gateway pricing), on top of the function's duration.
//
// The Lambda proxy integration streams (response transfer mode STREAM): API Gateway invokes the function with
// InvokeWithResponseStream, sends the same input as a proxy integration (payload format 1.0, which the handler
// reads: app/lambda/events.ts), and streams what the function writes after the prelude (API Gateway Developer
// Guide, "Stream the integration response for your proxy integrations"). Its limits: at most 15 minutes per
// response, and an idle timeout of 5 minutes on a regional endpoint (30 s on an edge-optimized one), which the
// heartbeats keep from firing; request bodies are not streamed (Lambda's 6 MB invoke limit stands).
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

export interface StreamingRestApiArgs {
  label: string
  /** The function the API streams from. */
  function: aws.lambda.Function
  /** How long API Gateway waits for the function's answer: the function's own timeout. */
  timeoutSeconds: number
  /** The path the app serves under (MCP_BASE_PATH): the API's URL ends with it. */
  basePath: string
}

/** The stage clients call: its name is the first segment of the API's URL path. */
const STAGE = 'live'

export class StreamingRestApi extends pulumi.ComponentResource {
  /** `https://<id>.execute-api.<region>.amazonaws.com/live<basePath>`: what clients add `/mcp` to. */
  readonly url: pulumi.Output<string>
  /** What API Gateway's metrics name the API and its stage by (dimensions ApiName and Stage). */
  readonly metricDimensions: { ApiName: pulumi.Output<string>; Stage: pulumi.Output<string> }

  constructor(name: string, args: StreamingRestApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:StreamingRestApi', name, {}, opts)
    const child = { parent: this }
    // Regional: an edge-optimized endpoint's 30 s idle timeout would be the only thing between a silent call and
    // its end, and it puts an AWS-managed CloudFront in front that the stack does not configure.
    const api = new aws.apigateway.RestApi(name, { name: `${args.label}-${name}`, description: 'MCP server, request-scoped leg (AWS Lambda), streamed', endpointConfiguration: { types: 'REGIONAL' } }, child)
    // Every path under the API goes to the function, which routes as the container does (the app has no route at /).
    const proxy = new aws.apigateway.Resource(name, { restApi: api.id, parentId: api.rootResourceId, pathPart: '{proxy+}' }, child)
    // No API Gateway authorization: the app checks every request's key or token itself, as on every other path.
    const method = new aws.apigateway.Method(name, { restApi: api.id, resourceId: proxy.id, httpMethod: 'ANY', authorization: 'NONE' }, child)
    const integration = new aws.apigateway.Integration(name, {
      restApi: api.id,
      resourceId: proxy.id,
      httpMethod: method.httpMethod,
      type: 'AWS_PROXY',
      integrationHttpMethod: 'POST',
      uri: args.function.responseStreamingInvokeArn,
      responseTransferMode: 'STREAM',
      // At most 900,000 ms when streaming (the provider's Integration docs); the function ends its calls before it.
      timeoutMilliseconds: args.timeoutSeconds * 1000,
    }, child)
    // Only this API may invoke the function this way, on any of its stages, methods and paths.
    new aws.lambda.Permission(name, { function: args.function.name, action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com', sourceArn: pulumi.interpolate`${api.executionArn}/*` }, child)
    // A new deployment whenever the method or its integration is replaced: a stage serves the deployment it points to.
    const deployment = new aws.apigateway.Deployment(name, { restApi: api.id, triggers: { method: method.id, integration: integration.id } }, { ...child, dependsOn: [integration] })
    const stage = new aws.apigateway.Stage(name, { restApi: api.id, deployment: deployment.id, stageName: STAGE }, child)
    this.url = pulumi.interpolate`${stage.invokeUrl}${args.basePath}`
    this.metricDimensions = { ApiName: api.name, Stage: stage.stageName }
    this.registerOutputs({ url: this.url })
  }
}
