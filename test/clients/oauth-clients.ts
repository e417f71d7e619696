import type { Tap } from '../helpers/http.js'
import { startOAuthServer } from '../helpers/oauth.js'
import { counter, eventually } from '../helpers/processes.js'
import type { TestServer } from '../helpers/server.js'
import { loggedRequests } from './request-log.js'

// What the tests of real clients' own OAuth flows (mcp-remote, the Inspector UI) share: the eras they sign in
// on, a server whose bridge registers them, and what the server must have seen once they called as the subject.

/** The subject oauth2-mock-server puts in the tokens it issues. */
export const SUBJECT = 'johndoe'

export type Era = 'legacy SSE' | 'Streamable HTTP (2025)' | 'MCP 2026-07-28'

/** Where each era is served and the kind of session it opens (none: stateless requests). */
export const ERAS: Record<Era, { path: '/sse' | '/mcp'; session?: 'sse' | 'streamable-http' }> = {
  'legacy SSE': { path: '/sse', session: 'sse' },
  'Streamable HTTP (2025)': { path: '/mcp', session: 'streamable-http' },
  'MCP 2026-07-28': { path: '/mcp' },
}

/**
 * Our server with OAuth on and the bridge (MCP_OAUTH_AS_METADATA=bridge): the authorization server has no
 * registration endpoint, so ours answers dynamic registration with a pre-registered public client for the one
 * redirect URI the client under test uses. Successful requests are logged too (LOG_LEVEL=debug).
 */
export function startBridgedServer(t: Tap, issuer: string, clientId: string, redirectUri: string) {
  return startOAuthServer(t, issuer, { MCP_OAUTH_AS_METADATA: 'bridge', MCP_OAUTH_REGISTRATION_CLIENT_ID: clientId, MCP_OAUTH_REDIRECT_URIS: redirectUri, LOG_LEVEL: 'debug' })
}

/** The server's whoami call counter, read before the client calls. */
export const whoamiCalls = (server: TestServer) => counter(server, 'mcp_tool_calls_total', 'tool="whoami"')

/**
 * What the server must have seen once the client, signed in, called whoami (answered with `identity`) on `era`:
 * the subject as principal, the call counted and audited as the subject, `sessions` sessions of the era's kind, all
 * the subject's (or none, and a modern tools/call), and nothing refused but the 401 on the endpoint that started
 * the sign-in.
 */
export async function assertServedAsSubject(t: Tap, server: TestServer, era: Era, identity: Record<string, unknown>, whoamiCallsBefore: number, sessions = 1) {
  const { path, session } = ERAS[era]
  const metric = (name: string, labels = '') => counter(server, name, labels)
  t.equal(identity.principal, `oauth:${SUBJECT}`, 'whoami answers as the signed-in subject')
  t.equal(await whoamiCalls(server), whoamiCallsBefore + 1, 'the server counted the call')
  t.ok(
    await eventually(() => server.logs.records().some((record) => record.event === 'tool_call' && record.tool === 'whoami' && record.principal === `oauth:${SUBJECT}`)),
    'and audited it as the subject',
  )
  if (session) {
    t.match(identity.sessionId, /^v1\./, `in a session (${session})`)
    const open = async () => `${await metric('mcp_sessions_open')} open, ${await metric('mcp_sessions_open', `transport="${session}"`)} ${session}`
    t.ok(await eventually(async () => (await open()) === `${sessions} open, ${sessions} ${session}`), `the server has the client's ${session} sessions open (${await open()})`)
    const opened = server.logs.records().filter((record) => record.msg === 'session opened' && record.principal === `oauth:${SUBJECT}`)
    t.equal(opened.length, sessions, 'opened as the subject')
  } else {
    t.equal(identity.sessionId, undefined, 'with no session')
    t.ok((await metric('mcp_modern_requests_total', 'method="tools/call"')) >= 1, 'as a modern request')
    t.equal(await metric('mcp_sessions_open'), 0, 'no session was opened')
  }
  // The signing-in client's requests: unauthenticated, or the subject's. A key client beside it (the Inspector
  // test lists the tools with one, then ends its session) is not judged here: its SDK reopens its GET stream once
  // the session is gone, without a session id, and is answered 405 as the spec says.
  const requests = loggedRequests(server.logs).filter((request) => request.principal === undefined || request.principal === `oauth:${SUBJECT}`)
  t.ok(requests.some((request) => request.url === '/register' && request.status === 201), 'it registered through our endpoint')
  const refusals = requests.filter((request) => request.status >= 400)
  t.ok(refusals.length > 0, 'it was refused before signing in')
  t.same(refusals.filter((request) => !(request.status === 401 && request.url === path)), [], `only with 401 on ${path}, which started the sign-in`)
}

/** The authorization request the client sent the user to: our registered client, its callback, PKCE, the resource. */
export function assertAuthorizationRequest(t: Tap, authorize: URL, expected: { issuer: string; clientId: string; redirectUri: string; resource: string }) {
  t.equal(authorize.origin, new URL(expected.issuer).origin, 'the user is sent to the authorization server')
  t.equal(authorize.searchParams.get('client_id'), expected.clientId, 'as the client our registration endpoint answered with')
  t.equal(authorize.searchParams.get('redirect_uri'), expected.redirectUri, "back to the client's loopback callback")
  t.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'with PKCE')
  t.equal(authorize.searchParams.get('resource'), expected.resource, 'for this resource (RFC 8707)')
}
