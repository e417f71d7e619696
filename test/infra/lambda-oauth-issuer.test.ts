// `lambda: true` with an external issuer: the leg gets the stack's OAuth settings, its public URL and the
// discovery paths (test/infra/lambda-oauth.ts).
import { oauthOnTheLeg } from './lambda-oauth.js'
import { runProgram } from './program.js'

oauthOnTheLeg('issuer', await runProgram({ lambda: 'true', oauthIssuer: 'https://login.example.com/', oauthRequiredScopes: '["mcp:tools"]' }))
