import { join } from 'node:path'
import { freePort } from './ports.js'
import { getJson, projectRoot, startProcess, type RunningProcess } from './servers.js'

/** The script of the authorization server process (oauth2-mock-server), shared with the OAuth tests. */
export const AUTHORIZATION_SERVER_SCRIPT = join(projectRoot(), 'bench', 'servers', 'authorization-server.mjs')

const EXCHANGE_TIMEOUT_MS = 10_000

/**
 * An access token from the authorization server's token endpoint (client credentials), shaped by `params`
 * (`resource`, `test_sub`, …: see bench/servers/authorization-server.mjs).
 */
export async function requestToken(issuer: string, params: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'test-client', ...params }),
    signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
  })
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`)
  return ((await response.json()) as { access_token: string }).access_token
}

export interface AuthorizationServer extends RunningProcess {
  /** As its discovery document names it (what MCP_OAUTH_ISSUER must say). */
  issuer: string
  /** How many times it has served its key set (JWKS) so far. */
  jwksServed(): Promise<number>
}

/** The authorization server as a process of its own on a free loopback port; stopped by its pid. */
export async function startAuthorizationServer(logFile: string): Promise<AuthorizationServer> {
  const port = await freePort()
  const started = await startProcess('authorization server', [AUTHORIZATION_SERVER_SCRIPT], { AS_PORT: String(port) }, port, logFile)
  const local = `http://127.0.0.1:${port}`
  try {
    const { issuer } = (await getJson(`${local}/.well-known/openid-configuration`)) as { issuer: string }
    return { ...started, issuer, jwksServed: async () => ((await getJson(`${local}/test/jwks-served`)) as { served: number }).served }
  } catch (error) {
    await started.stop()
    throw error
  }
}

/**
 * The URL clients would use, which token audiences name (RFC 8707); never contacted. With OAuth on in
 * production it must be https, as behind the load balancer that terminates TLS.
 */
export const BENCH_PUBLIC_URL = 'https://mcp.bench.example'
const BENCH_TOKEN_SUBJECT = 'bench'
/** Who whoami names for a benchmark token. */
export const BENCH_TOKEN_PRINCIPAL = `oauth:${BENCH_TOKEN_SUBJECT}`

/** What turns OAuth on in our server, against `issuer`. */
export const oauthEnvironment = (issuer: string) => ({ MCP_OAUTH_ISSUER: issuer, MCP_PUBLIC_URL: BENCH_PUBLIC_URL })

/**
 * One access token per session, all for the one benchmark subject, each for a client of its own (so no two
 * tokens are the same string: the mock's tokens carry no `jti` and are signed deterministically). One at a time.
 */
export async function mintBenchTokens(issuer: string, count: number): Promise<string[]> {
  const tokens: string[] = []
  for (let index = 0; index < count; index++) {
    tokens.push(await requestToken(issuer, { client_id: `bench-client-${index}`, resource: `${BENCH_PUBLIC_URL}/mcp`, test_sub: BENCH_TOKEN_SUBJECT }))
  }
  return tokens
}
