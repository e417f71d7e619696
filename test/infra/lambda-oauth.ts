// What `lambda: true` with OAuth on must give the function, whichever OAuth mode (lambda-oauth-*.test.ts, one
// program run per process): the stack's OAuth settings as the tasks get them (infra/oauth.ts, oauthEnvironment,
// passed to both), its own public URL (the leg's CloudFront URL) in an SSM parameter it reads at init, and a
// distribution that sends the discovery paths to it. With OAuth off none of it: test/infra/lambda.test.ts.
import t from 'tap'
import { loadConfig } from '../../app/config.js'
import infraOAuth from '../../infra/oauth.js'
import { KEYS } from '../helpers/server.js'
import { appContainer, type ProgramRun } from './program.js'

const { OAUTH_VARIABLES } = infraOAuth
const FUNCTION = 'aws:lambda/function:Function'
const PARAMETER = 'aws:ssm/parameter:Parameter'
const LAMBDA_URL = 'https://d-mcp-lambda.cloudfront.net'

/** Pulumi's marker of a secret value, as a program's secret inputs reach the mocks. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d'
const isSecret = (value: any) => value?.[SECRET_SIG] === '1b47061264138c4ac30d75fd1eb44270'
const revealed = (value: any) => (isSecret(value) ? value.value : value)
export const functionEnvironment = (run: ProgramRun) => revealed(run.one(FUNCTION).inputs.environment).variables as Record<string, string>
/** The URL the parameter holds (secret in the state only because the distribution it comes from carries the origin secret). */
const parameterValue = (run: ProgramRun) => revealed(run.one(PARAMETER).inputs.value) as string

/** The invariants of OAuth on the Lambda leg, asserted on one program run. */
export function oauthOnTheLeg(mode: 'cognito' | 'issuer', run: ProgramRun) {
  t.test(`${mode}: the function has the tasks' OAuth settings, and no secret in plain sight`, async (t) => {
    const fn = functionEnvironment(run)
    const { env: task } = appContainer(run)
    t.ok(task.MCP_OAUTH_ISSUER, 'OAuth is on for the tasks')
    for (const variable of OAUTH_VARIABLES) t.equal(fn[variable], task[variable], `${variable}: ${task[variable] ?? 'unset'}, as the tasks have it`)
    t.ok(isSecret(run.one(FUNCTION).inputs.environment), 'the environment (with the keys) stays a secret in the stack’s state')
    for (const secret of run.generatedSecrets) {
      for (const variable of OAUTH_VARIABLES) t.notMatch(fn[variable] ?? '', secret, `no generated secret in ${variable}`)
      t.notMatch(JSON.stringify(run.ofType(PARAMETER).map((parameter) => parameter.inputs)), secret, 'none in the SSM parameter')
      t.notMatch(JSON.stringify(run.outputs), secret, 'none in an output')
    }
    t.same(Object.keys(fn).filter((name) => /CLIENT_SECRET/.test(name)), [], 'no client secret: the clients are public')
  })

  t.test(`${mode}: the function reads the leg's own public URL at init from an SSM parameter only it may read`, async (t) => {
    const fn = functionEnvironment(run)
    const parameter = run.one(PARAMETER)
    t.notOk('MCP_PUBLIC_URL' in fn, 'not in the environment: the distribution’s domain exists only after the function')
    t.equal(fn.MCP_LAMBDA_PUBLIC_URL_PARAMETER, parameter.inputs.name)
    t.equal(parameter.inputs.name, '/mcp-fargate-test/mcp-lambda/public-url')
    t.equal(parameter.inputs.type, 'String', 'a URL is no secret')
    t.equal(parameterValue(run), LAMBDA_URL, 'the Lambda distribution’s URL, not the service’s')
    t.equal(parameterValue(run), run.outputs.lambdaUrl)
    t.equal(appContainer(run).env.MCP_PUBLIC_URL, 'https://d111111abcdef8.cloudfront.net', 'the tasks keep the service’s URL')
    const policies = run.ofType('aws:iam/rolePolicy:RolePolicy').filter((policy) => policy.name.startsWith('mcp-lambda'))
    const statements = policies.flatMap((policy) => JSON.parse(policy.inputs.policy).Statement as { Action: string | string[]; Resource: string }[])
    const ssm = statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('ssm:')))
    t.same(ssm, [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameter.state.arn }], 'the function may read this parameter and nothing else of SSM')
  })

  t.test(`${mode}: the app built from the function's settings serves the leg's resource and accepts tokens issued for it`, async (t) => {
    const fn = functionEnvironment(run)
    const config = loadConfig({ ...fn, MCP_API_KEYS: KEYS, MCP_PUBLIC_URL: parameterValue(run), MCP_STATELESS: 'true' })
    t.equal(config.oauth?.resourceBase, LAMBDA_URL)
    t.same(config.oauth?.audiences, [`${LAMBDA_URL}/mcp`, `${LAMBDA_URL}/sse`], 'the audience is the leg’s resource: a token a client asked for it (RFC 8707 resource) is accepted')
    t.notOk(config.oauth?.audiences.some((audience) => audience.startsWith('https://d111111abcdef8')), 'a token issued for the service is not')
  })

  t.test(`${mode}: the leg's distribution sends the discovery and bridge paths to the function`, async (t) => {
    const distribution = run.ofType('aws:cloudfront/distribution:Distribution').find((resource) => resource.name === 'mcp-lambda')!
    t.same(distribution.inputs.orderedCacheBehaviors ?? [], [], 'no path is routed elsewhere: /.well-known/*, /register and /mcp all take the default behaviour')
    const behaviour = distribution.inputs.defaultCacheBehavior
    t.equal(behaviour.targetOriginId, 'function-url', 'to the function URL')
    t.ok(['GET', 'POST'].every((method) => behaviour.allowedMethods.includes(method)), 'GET for the metadata, POST for /register and /mcp')
    t.equal(behaviour.originRequestPolicyId, 'policy-Managed-AllViewerExceptHostHeader', 'Authorization reaches the function')
    t.equal(behaviour.cachePolicyId, 'policy-Managed-CachingDisabled', 'nothing cached: a 401 for one caller is never another’s answer')
  })

  t.test(`${mode}: outputs say how to sign in on the leg`, async (t) => {
    const steps = run.outputs.lambdaOAuthClientSetup as Record<string, string>
    t.match(steps.claude, `URL ${LAMBDA_URL}/mcp`)
    t.match(steps.vscode, `URL ${LAMBDA_URL}/mcp`)
    if (mode === 'cognito') t.match(steps.inspector, `OAuth Client ID ${run.outputs.oauthClientId}, no client secret`, 'the same public client as the service')
  })
}

