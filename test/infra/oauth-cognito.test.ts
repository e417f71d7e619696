// `cognitoEnabled: true`: the stack creates the team's authorization server in Amazon Cognito and points the app
// at it, with the bridge for what Cognito lacks. Every value asserted comes from the program (infra/cognito.ts,
// infra/oauth.ts); the mocks only name the resources.
import { readFileSync } from 'node:fs'
import t from 'tap'
import infraCognito from '../../infra/cognito.js'
import infraOAuth from '../../infra/oauth.js'
import { MOCK_ACCOUNT, STACK, PROJECT, appContainer, runProgram } from './program.js'

const { defaultDomainPrefix } = infraCognito
const { DEFAULT_CALLBACK_URLS } = infraOAuth

const run = await runProgram({ cognitoEnabled: 'true', cognitoScopes: '["access","admin"]', oauthRequiredScopes: '["access"]' })
const { definition, env } = appContainer(run)
const pool = run.one('aws:cognito/userPool:UserPool')
const client = run.one('aws:cognito/userPoolClient:UserPoolClient')
const resourceServer = run.one('aws:cognito/resourceServer:ResourceServer')
const domain = run.one('aws:cognito/userPoolDomain:UserPoolDomain')
const issuer = `https://cognito-idp.us-east-1.amazonaws.com/${pool.id}`

t.test('docs/deploy.md gives the number of resources Cognito adds', async (t) => {
  const added = run.resources.filter((resource) => resource.type.startsWith('aws:cognito/')).length
  t.match(readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8'), `This adds **${added} resources**: the user pool`)
})

t.test('a user pool on the Essentials plan (resource binding, managed login) that only operators add people to', async (t) => {
  t.match(pool.inputs, { userPoolTier: 'ESSENTIALS', adminCreateUserConfig: { allowAdminCreateUserOnly: true }, usernameAttributes: ['email'] })
})

t.test('a managed-login domain with a prefix unique to the account and stack, and Cognito\'s own page style for the client', async (t) => {
  const prefix = defaultDomainPrefix(`${PROJECT}-${STACK}`, MOCK_ACCOUNT)
  t.match(domain.inputs, { userPoolId: pool.id, domain: prefix, managedLoginVersion: 2 })
  t.match(prefix, /^mcp-fargate-test-[0-9a-f]{12}$/)
  t.notMatch(prefix, MOCK_ACCOUNT, 'the account number is not published in the domain')
  t.match(run.one('aws:cognito/managedLoginBranding:ManagedLoginBranding').inputs, { userPoolId: pool.id, clientId: client.id, useCognitoProvidedValues: true })
})

t.test('a resource server with the configured scopes', async (t) => {
  t.equal(resourceServer.inputs.identifier, 'mcp')
  t.equal(resourceServer.inputs.userPoolId, pool.id)
  t.same(resourceServer.inputs.scopes.map((scope: { scopeName: string }) => scope.scopeName), ['access', 'admin'])
})

t.test('one public client: no secret, authorization code only, the main clients\' callbacks, its scopes', async (t) => {
  const inputs = client.inputs
  t.equal(inputs.userPoolId, pool.id)
  t.equal(inputs.generateSecret, false, 'no client secret is generated')
  t.notOk('clientSecret' in inputs)
  t.equal(inputs.allowedOauthFlowsUserPoolClient, true)
  t.same(inputs.allowedOauthFlows, ['code'], 'no implicit grant, no client credentials')
  t.same(inputs.explicitAuthFlows, ['ALLOW_REFRESH_TOKEN_AUTH'], 'no password sign-in through the API')
  t.same(inputs.supportedIdentityProviders, ['COGNITO'])
  t.same(inputs.allowedOauthScopes, ['openid', 'email', 'phone', 'profile', 'mcp/access', 'mcp/admin'])
  t.same(inputs.callbackUrls, DEFAULT_CALLBACK_URLS)
  for (const url of ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback', 'https://vscode.dev/redirect', 'http://127.0.0.1:33418/', 'http://localhost:6274/oauth/callback', 'http://127.0.0.1:6274/oauth/callback']) {
    t.ok(inputs.callbackUrls.includes(url), url)
  }
  t.ok(client.dependencies.includes(`aws:cognito/resourceServer:ResourceServer::${resourceServer.name}`), 'created after the scopes it allows')
})

t.test('the app signs people in with Cognito, tokens bound to this server by audience, and bridges registration and metadata', async (t) => {
  t.match(env, {
    MCP_OAUTH_ISSUER: issuer,
    MCP_PUBLIC_URL: run.outputs.url,
    MCP_OAUTH_REQUIRED_SCOPES: 'mcp/access',
    MCP_OAUTH_AS_METADATA: 'bridge',
    MCP_OAUTH_REGISTRATION_CLIENT_ID: client.id,
    MCP_OAUTH_REDIRECT_URIS: DEFAULT_CALLBACK_URLS.join(' '),
  })
  t.notOk('MCP_OAUTH_AUDIENCE' in env, 'the app\'s default audiences: the resource identifiers')
  t.notOk('MCP_OAUTH_CLIENT_IDS' in env, 'not the weaker client-id check')
  t.same(definition.secrets.map((secret: { name: string }) => secret.name), ['MCP_API_KEYS', 'MCP_SESSION_SECRET'], 'no OAuth secret: the client is public')
})

t.test('tasks start once Cognito exists: the app reads the issuer\'s metadata before it serves', async (t) => {
  t.ok(run.one('aws:ecs/service:Service').dependencies.includes('mcp:infra:Cognito::mcp-cognito'))
})

t.test('outputs: the issuer, the client id, the pool and its domain, and what to type into each client', async (t) => {
  t.equal(run.outputs.oauthIssuer, issuer)
  t.equal(run.outputs.oauthClientId, client.id)
  t.equal(run.outputs.cognitoUserPoolId, pool.id)
  t.equal(run.outputs.cognitoDomainUrl, `https://${domain.inputs.domain}.auth.us-east-1.amazoncognito.com`)
  const steps = run.outputs.oauthClientSetup as Record<string, string>
  t.same(Object.keys(steps).sort(), ['claude', 'inspector', 'vscode'])
  for (const [name, step] of Object.entries(steps)) {
    t.match(step, `${run.outputs.url}/mcp`, `${name}: the server URL`)
    t.match(step, `OAuth Client ID ${client.id}, no client secret`, `${name}: the client id`)
  }
  t.match(steps.inspector, /^npx @modelcontextprotocol\/inspector@2\.12\.0 --transport http --server-url https:\/\/\S+\/mcp,/)
})

t.test('cognitoTokenCheck: clientId, the documented weaker check, accepts the public client\'s tokens by client_id', async (t) => {
  const { oauthEnvironment } = infraOAuth
  const { parseConfig } = (await import('../../infra/config.js')).default
  const settings = { issuer, clientId: client.id }
  const weaker = oauthEnvironment(parseConfig({ cognitoEnabled: 'true', cognitoTokenCheck: 'clientId' }), settings)
  t.match(weaker, { MCP_OAUTH_ISSUER: issuer, MCP_OAUTH_CLIENT_IDS: client.id, MCP_OAUTH_AUDIENCE: undefined, MCP_OAUTH_REGISTRATION_CLIENT_ID: client.id })
  t.equal(weaker.MCP_OAUTH_REQUIRED_SCOPES, undefined, 'no scopes required unless configured')
  t.equal(oauthEnvironment(parseConfig({ cognitoEnabled: 'true' }), settings).MCP_OAUTH_CLIENT_IDS, undefined, 'the default binds by audience')
})

t.test('the default domain prefix is a valid one whatever the stack is called', async (t) => {
  const prefixRule = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
  for (const label of ['mcp-fargate-prod', 'MCP_Fargate.aws-prod', 'amazon-cognito', `${'x'.repeat(80)}-dev`, '---']) {
    const prefix = defaultDomainPrefix(label, MOCK_ACCOUNT)
    t.match(prefix, prefixRule, `${label} → ${prefix}`)
    t.notMatch(prefix, /aws|amazon|cognito/, `${label}: no reserved word`)
  }
  t.not(defaultDomainPrefix('mcp-fargate-prod', '111111111111'), defaultDomainPrefix('mcp-fargate-prod', '222222222222'), 'two accounts, two prefixes')
})
