// `oauthIssuer`: an external authorization server (Okta, Auth0, Entra ID, Keycloak). The stack creates nothing for
// it; the app gets the issuer, the audiences and the required scopes, and nothing of the Cognito bridge.
import t from 'tap'
import { appContainer, runProgram } from './program.js'

const ISSUER = 'https://login.example.com/oauth2/default'
const run = await runProgram({ oauthIssuer: ISSUER, oauthAudience: '["api://mcp","https://mcp.example.com/api"]', oauthRequiredScopes: '["mcp.read","mcp.write"]' })
const { env } = appContainer(run)

t.test('no Cognito resources', async (t) => {
  t.equal(run.resources.filter((resource) => resource.type.startsWith('aws:cognito/')).length, 0)
})

t.test('the app gets the issuer, the audiences and the scopes, space-separated, and no bridge', async (t) => {
  t.match(env, { MCP_OAUTH_ISSUER: ISSUER, MCP_OAUTH_AUDIENCE: 'api://mcp https://mcp.example.com/api', MCP_OAUTH_REQUIRED_SCOPES: 'mcp.read mcp.write', MCP_PUBLIC_URL: run.outputs.url })
  for (const name of ['MCP_OAUTH_CLIENT_IDS', 'MCP_OAUTH_AS_METADATA', 'MCP_OAUTH_REGISTRATION_CLIENT_ID', 'MCP_OAUTH_REDIRECT_URIS']) t.notOk(name in env, name)
})

t.test('outputs: the issuer and what to type into each client, the client ID being the identity provider\'s', async (t) => {
  t.equal(run.outputs.oauthIssuer, ISSUER)
  t.equal(run.outputs.oauthClientId, undefined)
  t.equal(run.outputs.cognitoUserPoolId, undefined)
  const steps = run.outputs.oauthClientSetup as Record<string, string>
  for (const [name, step] of Object.entries(steps)) {
    t.match(step, `${run.outputs.url}/mcp`, `${name}: the server URL`)
    t.match(step, 'the client ID your identity provider registered for it', name)
  }
})
