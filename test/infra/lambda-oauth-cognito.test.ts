// `lambda: true` with Cognito: the leg gets the stack's OAuth settings, its public URL and the discovery paths
// (test/infra/lambda-oauth.ts), and the app settings the stack does not set reach it as they reach the tasks.
import t from 'tap'
import { functionEnvironment, oauthOnTheLeg } from './lambda-oauth.js'
import { appContainer, runProgram } from './program.js'

// Grants and the key-beside-token mode are app settings the stack does not set; `toolSettings` carries them to the
// tasks and to the function alike (docs/signing-in.md).
const TOOL_SETTINGS = '{"MCP_OAUTH_GRANTS":"mcp/admin","MCP_OAUTH_KEYS_IN_BEARER":"false"}'
const run = await runProgram({ lambda: 'true', cognitoEnabled: 'true', cognitoScopes: '["access","admin"]', oauthRequiredScopes: '["access"]', toolSettings: TOOL_SETTINGS })

oauthOnTheLeg('cognito', run)

t.test('cognito: a grant and the strict Bearer mode given through toolSettings reach the function as they reach the tasks', async (t) => {
  const fn = functionEnvironment(run)
  const { env: task } = appContainer(run)
  for (const variable of ['MCP_OAUTH_GRANTS', 'MCP_OAUTH_KEYS_IN_BEARER']) t.equal(fn[variable], task[variable], variable)
  t.equal(fn.MCP_OAUTH_KEYS_IN_BEARER, 'false')
})
