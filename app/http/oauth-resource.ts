import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Principal } from '../keys.js'
import { ConfigError } from '../config.js'
import { HttpError, RpcCode } from './errors.js'
import { bridgeRoutes } from './oauth-bridge.js'
import { OAuthRefusal, TokenVerifier, challenge, discover, protectedResourceMetadata, type OAuthSettings, type ServerMetadata } from './oauth.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The access-token side of authentication; undefined while OAuth is off (no MCP_OAUTH_ISSUER). */
    oauth: OAuthResource | undefined
  }
}

/** A JWS in compact form: three base64url parts, the first a JSON header (`eyJ` is `{"`). API keys never look so. */
const COMPACT_JWS = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/

/** The resource a request belongs to: legacy SSE (`/sse`, `/messages`) or Streamable HTTP (`/mcp`). */
function resourceOf(request: FastifyRequest, basePath: string): 'mcp' | 'sse' {
  const path = request.url.slice(basePath.length)
  return path.startsWith('/sse') || path.startsWith('/messages') ? 'sse' : 'mcp'
}

/** OAuth 2.1 resource server beside the API keys (MCP authorization spec): token checks, challenges, metadata. */
export class OAuthResource {
  constructor(
    readonly settings: OAuthSettings & { keysInBearer: boolean },
    private readonly verifier: TokenVerifier,
    private readonly basePath: string,
  ) {}

  /** Whether a bearer credential is an access token: it looks like one, or Bearer carries nothing else (strict mode). */
  isToken(bearer: string): boolean {
    return !this.settings.keysInBearer || COMPACT_JWS.test(bearer)
  }

  /**
   * The token's principal, or the 401 / 403 (with the challenge that tells the client what to do) refusing it:
   * at once for a token verified before, after verifying it otherwise.
   */
  principal(request: FastifyRequest, token: string): Principal | HttpError | Promise<Principal | HttpError> {
    try {
      const known = this.verifier.known(token)
      if (known) return known
    } catch (error) {
      return this.refusal(request, error)
    }
    return this.verifier.verify(token).catch((error: unknown) => this.refusal(request, error))
  }

  /** The challenge of a request with no (valid) credential: where to find the authorization server. */
  unauthorized(request: FastifyRequest, message: string): HttpError {
    return new HttpError(401, message, RpcCode.server, { 'www-authenticate': challenge(this.settings, resourceOf(request, this.basePath)) })
  }

  private refusal(request: FastifyRequest, error: unknown): HttpError {
    if (!(error instanceof OAuthRefusal)) throw error
    return this.refused(request, error)
  }

  private refused(request: FastifyRequest, refusal: OAuthRefusal): HttpError {
    const status = refusal.code === 'insufficient_scope' ? 403 : refusal.code === 'invalid_request' ? 400 : 401
    const verdict = status === 403 ? 'Forbidden' : 'Unauthorized'
    return new HttpError(status, `${verdict}: ${refusal.code}: ${refusal.message}`, RpcCode.server, { 'www-authenticate': challenge(this.settings, resourceOf(request, this.basePath), refusal) })
  }
}

/**
 * With MCP_OAUTH_ISSUER: the issuer's metadata and keys are fetched before the server listens (a wrong issuer
 * stops the start with one line), and the Protected Resource Metadata documents (RFC 9728) are served where
 * clients look for them, path-aware for each resource and at the root. Without it: nothing, and
 * `/.well-known/*` stays the fast 404.
 */
export default fp(async function oauthResource(app: FastifyInstance, { settings, basePath }: { settings: (OAuthSettings & { keysInBearer: boolean }) | undefined; basePath: string }) {
  if (!settings) {
    app.decorate('oauth', undefined)
    return
  }
  let verifier: TokenVerifier
  let metadata: ServerMetadata
  try {
    metadata = await discover(settings.issuer)
    verifier = new TokenVerifier(settings, metadata)
    await verifier.load()
  } catch (error) {
    throw new ConfigError([`MCP_OAUTH_ISSUER: ${(error as Error).message}`])
  }
  if (settings.bridge) bridgeRoutes(app, settings, metadata)
  app.decorate('oauth', new OAuthResource(settings, verifier, basePath))
  const documents = { mcp: protectedResourceMetadata(settings, 'mcp'), sse: protectedResourceMetadata(settings, 'sse') }
  const path = new URL(settings.resourceBase).pathname.replace(/\/$/, '')
  for (const [url, document] of [
    [`/.well-known/oauth-protected-resource${path}/mcp`, documents.mcp],
    [`/.well-known/oauth-protected-resource${path}/sse`, documents.sse],
    ['/.well-known/oauth-protected-resource', documents.mcp],
  ] as const) {
    app.get(url, { config: { public: true } }, (_request, reply) => reply.header('cache-control', 'public, max-age=3600').send(document))
  }
})
