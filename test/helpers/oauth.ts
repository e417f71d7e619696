import type { OAuthClientProvider } from '@modelcontextprotocol/client'
import { loadConfig } from '../../app/config.js'
import { AUTHORIZATION_SERVER_SCRIPT, requestToken } from '../../bench/authorization-server.js'
import { buildServer } from '../../app/server.js'
import { eventually, freePort, spawnChild, type Child } from './processes.js'
import { KEYS, LogCapture, type TestServer } from './server.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface AuthorizationServer {
  child: Child
  issuer: string
  /** An access token from the server's token endpoint (client credentials), shaped by `params` (see bench/servers/authorization-server.mjs). */
  token(params?: Record<string, string>): Promise<string>
}

/** A real authorization server process (oauth2-mock-server, bench/servers/authorization-server.mjs) on a random loopback port. */
export async function startAuthorizationServer(t: Teardown, { likeCognito = false } = {}): Promise<AuthorizationServer> {
  const child = spawnChild(t, process.execPath, [AUTHORIZATION_SERVER_SCRIPT], likeCognito ? { AS_LIKE_COGNITO: '1' } : {})
  if (!(await eventually(() => /^http:\/\/\S+\n/.test(child.output), 15_000))) throw new Error(`the authorization server did not start: ${child.output}`)
  const issuer = child.output.split('\n')[0]
  return {
    child,
    issuer,
    token: (params = {}) => requestToken(issuer, params),
  }
}

/**
 * A real server with OAuth on, in this process, on a port known before it starts: MCP_PUBLIC_URL must be the URL
 * clients use, since the resource identifiers (and so token audiences) are built from it.
 */
export async function startOAuthServer(t: Teardown, issuer: string, env: Record<string, string> = {}): Promise<TestServer & { resource: string }> {
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const config = loadConfig({ NODE_ENV: 'test', MCP_API_KEYS: KEYS, LOG_LEVEL: 'info', MCP_PEER_PORT: '0', MCP_PUBLIC_URL: publicUrl, MCP_OAUTH_ISSUER: issuer, MCP_OAUTH_JWKS_COOLDOWN_MS: '1000', ...env })
  const logs = new LogCapture()
  const app = await buildServer(config, { logStream: logs })
  await app.listen({ port, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { app, url: `${publicUrl}${config.basePath}`, logs, resource: `${publicUrl}${config.basePath}/mcp` }
}

export const REDIRECT = 'http://127.0.0.1:1/callback'

/**
 * What an application keeps for the SDK's OAuth flow, in memory. The authorization server has no dynamic
 * registration, so the client is pre-registered (`test-client`, public, as the spec allows); the browser step
 * is an HTTP GET of the authorization URL, which the mock approves at once with a redirect carrying the code.
 */
export class MemoryProvider implements OAuthClientProvider {
  authorizationUrl?: URL
  private saved?: Awaited<ReturnType<OAuthClientProvider['tokens']>>
  private verifier = ''
  get redirectUrl() {
    return REDIRECT
  }
  get clientMetadata() {
    return { client_name: 'oauth-sdk-test', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' }
  }
  clientInformation() {
    return { client_id: 'test-client' }
  }
  tokens() {
    return this.saved
  }
  saveTokens(tokens: NonNullable<typeof this.saved>) {
    this.saved = tokens
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier
  }
  codeVerifier() {
    return this.verifier
  }
}

/** The user's browser: follows the authorization URL to the redirect, returns the code. */
export async function approve(url: URL): Promise<string> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) })
  const location = new URL(response.headers.get('location') ?? '', url)
  const code = location.searchParams.get('code')
  if (!code || location.origin + location.pathname !== REDIRECT) throw new Error(`no code in the redirect: ${response.status} ${location}`)
  return code
}
