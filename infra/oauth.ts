// Signing in with OAuth (docs/stack-configuration.md "Signing in with OAuth"): which authorization server the
// stack configuration chooses, and the app settings that follow from it. The app is the resource server; it reads
// exactly these variables (MCP_OAUTH_ISSUER turns OAuth on; MCP_PUBLIC_URL, set for every stack, names the
// resource identifiers <MCP_PUBLIC_URL><base>/mcp and …/sse).
import type { InfraConfig } from './config'

export type OAuthMode = 'none' | 'issuer' | 'cognito'

export function oauthModeOf(config: Pick<InfraConfig, 'oauthIssuer' | 'cognitoEnabled'>): OAuthMode {
  if (config.cognitoEnabled) return 'cognito'
  return config.oauthIssuer ? 'issuer' : 'none'
}

/**
 * Where the main clients send the browser back after sign-in; Cognito accepts a `redirect_uri` only when it is in
 * this list, exactly ("Amazon Cognito doesn't accept authorization requests with redirect_uri values that aren't in
 * the list of CallbackURLs", Cognito API Reference, CreateUserPoolClient), so each client's URI is written out:
 * - Claude.ai and Claude Desktop connectors: "Claude's OAuth callback URL is https://claude.ai/api/mcp/auth_callback
 *   … This callback URL may change to https://claude.com/api/mcp/auth_callback in the future – if you choose to
 *   allowlist MCP client callback URLs, please allowlist this callback URL as well" (Anthropic, "Building custom
 *   connectors via remote MCP servers").
 * - VS Code: its Dynamic Client Registration asks for exactly these four (microsoft/vscode
 *   src/vs/base/common/oauth.ts, fetchDynamicRegistration); it listens on 127.0.0.1:33418 first, "for servers that
 *   only allow exact matches on the redirect URI" (DEFAULT_AUTH_FLOW_PORT), and on another port only when that one
 *   is taken (then an exact-match server such as Cognito refuses the sign-in: microsoft/vscode#278512).
 * - MCP Inspector: its web UI returns to `<its own origin>/oauth/callback`; 2.12.0 binds 127.0.0.1:6274 by default
 *   (@modelcontextprotocol/inspector clients/web: DEFAULT_BIND_HOST, getRedirectUrl), earlier versions served
 *   localhost:6274; its CLI listens on 127.0.0.1:6276/oauth/callback (DEFAULT_RUNNER_OAUTH_CALLBACK_URL).
 * Cognito takes plain http only for localhost, 127.0.0.1 and [::1], with any port (CreateUserPoolClient, CallbackURLs).
 */
export const DEFAULT_CALLBACK_URLS = [
  'https://claude.ai/api/mcp/auth_callback',
  'https://claude.com/api/mcp/auth_callback',
  'https://vscode.dev/redirect',
  'https://insiders.vscode.dev/redirect',
  'http://127.0.0.1/',
  'http://127.0.0.1:33418/',
  'http://127.0.0.1:6274/oauth/callback',
  'http://localhost:6274/oauth/callback',
  'http://127.0.0.1:6276/oauth/callback',
]

/** Hosts Cognito accepts in a plain-http callback URL (CreateUserPoolClient, CallbackURLs). */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]']
/** Schemes a browser would run or read locally instead of handing to an app. */
const UNSAFE_SCHEMES = ['javascript:', 'data:', 'file:', 'vbscript:', 'blob:']

/** A callback URL Cognito accepts: https, http to a loopback host, or an app scheme (myapp://…); no fragment. */
export function isCognitoCallbackUrl(value: string): boolean {
  if (value.includes('#')) return false
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol === 'https:') return true
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.includes(url.hostname)
  return !UNSAFE_SCHEMES.includes(url.protocol)
}

/**
 * The Cognito resource server's identifier: its scopes reach access tokens as `<identifier>/<scope>` ("Amazon
 * Cognito represents scopes in the access token in the format $resource-server-identifier/$scope. Longer
 * scope-identifier strings increase the size of your access tokens", Cognito API Reference, CreateResourceServer),
 * hence a short name rather than the server's URL.
 */
export const RESOURCE_SERVER_IDENTIFIER = 'mcp'

/**
 * The OpenID scopes Cognito's discovery document lists (`scopes_supported: ["openid","email","phone","profile"]`).
 * A client that asks for scopes taken from the authorization server's metadata asks for these, and Cognito fails a
 * request for a scope the app client does not allow; so the client allows them beside the server's own.
 */
export const OPENID_SCOPES = ['openid', 'email', 'phone', 'profile']

export function cognitoScope(name: string): string {
  return `${RESOURCE_SERVER_IDENTIFIER}/${name}`
}

/** What the stack's Cognito resources tell the app. */
export interface CognitoSettings {
  /** https://cognito-idp.<region>.amazonaws.com/<user pool id> */
  issuer: string
  /** The public app client every MCP client signs in through. */
  clientId: string
}

export const OAUTH_VARIABLES = [
  'MCP_OAUTH_ISSUER', 'MCP_OAUTH_AUDIENCE', 'MCP_OAUTH_CLIENT_IDS', 'MCP_OAUTH_REQUIRED_SCOPES',
  'MCP_OAUTH_AS_METADATA', 'MCP_OAUTH_REGISTRATION_CLIENT_ID', 'MCP_OAUTH_REDIRECT_URIS',
] as const
export type OAuthEnvironment = Record<(typeof OAUTH_VARIABLES)[number], string | undefined>

const NO_OAUTH: OAuthEnvironment = Object.fromEntries(OAUTH_VARIABLES.map((name) => [name, undefined])) as OAuthEnvironment

/** Space-separated, as the app reads lists of audiences, client ids, scopes and redirect URIs; unset when empty. */
const spaced = (values: string[]) => values.join(' ') || undefined

/**
 * The app's OAuth settings. None without OAuth. An external issuer: the issuer, the audiences (unset: the app's
 * default, the resource identifiers) and the required scopes.
 *
 * Cognito: the issuer, and the bridge for what Cognito lacks (authorization-server metadata with
 * `code_challenge_methods_supported`, and Dynamic Client Registration answered with the one public client, for the
 * redirect URIs that client accepts). How a token is bound to this server (`cognitoTokenCheck`):
 * - `audience` (default): MCP_OAUTH_AUDIENCE stays unset, so the app accepts only tokens whose `aud` is one of the
 *   resource identifiers. Cognito access tokens carry `client_id` and, by default, no `aud` at all: `aud` is "the
 *   URL of the API that the access token is intended to authorize for. Present only if your application requested
 *   a resource binding" (Cognito Developer Guide, "Understanding the access token"). With resource binding (RFC
 *   8707) the client sends `resource` to /oauth2/authorize and "Amazon Cognito sets the requested URI as the
 *   audience in the aud claim of the access token"; a refresh keeps it ("Resource binding", in "Scopes, M2M, and
 *   resource servers"); it is part of managed login on the Essentials or Plus feature plan (./cognito.ts). MCP
 *   clients send `resource` on every authorization request (MCP authorization spec, "Resource Parameter
 *   Implementation": MUST), so each token names the endpoint it was issued for, and a token another server
 *   obtained from this user pool for itself (`aud` its own URL) is refused here: the attack RFC 8707 exists for.
 * - `clientId`: MCP_OAUTH_CLIENT_IDS is the public client's id, the documented weaker check for clients that send
 *   no `resource`: any access token of this client is accepted, whatever resource it was requested for.
 */
export function oauthEnvironment(config: InfraConfig, cognito?: CognitoSettings): OAuthEnvironment {
  switch (oauthModeOf(config)) {
    case 'none':
      return NO_OAUTH
    case 'issuer':
      return {
        ...NO_OAUTH,
        MCP_OAUTH_ISSUER: config.oauthIssuer,
        MCP_OAUTH_AUDIENCE: spaced(config.oauthAudience),
        MCP_OAUTH_REQUIRED_SCOPES: spaced(config.oauthRequiredScopes),
      }
    case 'cognito':
      if (!cognito) throw new Error('Cognito settings are missing: the program must create the user pool first')
      return {
        MCP_OAUTH_ISSUER: cognito.issuer,
        MCP_OAUTH_AUDIENCE: undefined,
        MCP_OAUTH_CLIENT_IDS: config.cognitoTokenCheck === 'clientId' ? cognito.clientId : undefined,
        MCP_OAUTH_REQUIRED_SCOPES: spaced(config.oauthRequiredScopes.map(cognitoScope)),
        MCP_OAUTH_AS_METADATA: 'bridge',
        MCP_OAUTH_REGISTRATION_CLIENT_ID: cognito.clientId,
        MCP_OAUTH_REDIRECT_URIS: spaced(config.cognitoCallbackUrls),
      }
  }
}
