import { hash } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import type { Principal } from '../keys.js'

/** A scope or IdP group, and the allow-lists a token carrying it gets (the syntax of a key's, see keys.ts). */
export interface Grant {
  name: string
  allowedTools?: ReadonlySet<string>
  allowedPrompts?: ReadonlySet<string>
  allowedResources?: ReadonlySet<string>
}

export interface OAuthSettings {
  issuer: string
  /** `<MCP_PUBLIC_URL><base path>`: the resource identifiers are this plus `/mcp` and `/sse`. */
  resourceBase: string
  /** Accepted `aud` values (MCP_OAUTH_AUDIENCE; default the two resource identifiers). */
  audiences: string[]
  /** Clients whose audience-less tokens are accepted (MCP_OAUTH_CLIENT_IDS): the weaker, explicit alternative. */
  clientIds: string[]
  requiredScopes: string[]
  /** Grants by scope or group (MCP_OAUTH_GRANTS); none: every token sees the whole catalog. */
  grants: Grant[]
  /** The claim holding the IdP groups a grant may name (MCP_OAUTH_GROUPS_CLAIM). */
  groupsClaim?: string
  /** An unknown `kid` refetches the JWKS at most once per this interval (MCP_OAUTH_JWKS_COOLDOWN_MS). */
  jwksCooldownMs: number
  /** Serve authorization-server metadata on our origin for an issuer that lacks what clients need (MCP_OAUTH_AS_METADATA=bridge). */
  bridge: boolean
  /** The pre-registered public client that dynamic registration answers with (MCP_OAUTH_REGISTRATION_CLIENT_ID). */
  registrationClientId?: string
  /** The redirect URIs a registration may ask for (MCP_OAUTH_REDIRECT_URIS). */
  redirectUris: string[]
}

/** Why a bearer token is refused: RFC 6750's error codes; `insufficient_scope` is a 403, the others 401. */
export class OAuthRefusal extends Error {
  constructor(
    readonly code: 'invalid_token' | 'insufficient_scope' | 'invalid_request',
    message: string,
  ) {
    super(message)
  }
}

/**
 * Only asymmetric signatures: a token signed with `none`, or with HS256 keyed by the public key (the
 * algorithm-confusion attack), is refused before any key is tried (jose `algorithms`).
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
const CLOCK_TOLERANCE_S = 30
const CACHE_MAX_ENTRIES = 10_000
const DISCOVERY_TIMEOUT_MS = 5_000

/** What the authorization server says of itself (RFC 8414 / OpenID Connect Discovery); kept whole for the bridge. */
export interface ServerMetadata {
  issuer: string
  jwks_uri: string
  [field: string]: unknown
}

/**
 * Where an issuer's metadata lives: RFC 8414 inserts the well-known segment before the issuer's path, OpenID
 * Connect Discovery appends it; the MCP authorization spec (2025-11-25, "Authorization Server Metadata
 * Discovery") has clients try them in this order, and so does the server.
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ]
}

/** The issuer's metadata, from the first well-known document that answers and names this issuer. */
export async function discover(issuer: string): Promise<ServerMetadata> {
  const tried: string[] = []
  for (const url of metadataUrls(issuer)) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), headers: { accept: 'application/json' } })
      if (!response.ok) {
        tried.push(`${url}: HTTP ${response.status}`)
        continue
      }
      const metadata = (await response.json()) as Partial<ServerMetadata>
      if (metadata.issuer !== issuer) throw new Error(`${url} names issuer ${JSON.stringify(metadata.issuer)}, not ${issuer}`)
      if (typeof metadata.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`)
      return metadata as ServerMetadata
    } catch (error) {
      tried.push(`${url}: ${(error as Error).message}`)
    }
  }
  throw new Error(`no authorization server metadata for ${issuer} (${tried.join('; ')})`)
}

/** What the cache keeps of a token: its digest, never the token. */
const digestOf = (token: string) => hash('sha256', token, 'base64url')

const words = (value: unknown): string[] => (typeof value === 'string' ? value.split(' ').filter(Boolean) : Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [])

/** The union of what the matching grants allow: a kind a matching grant leaves open is open. */
function allowances(grants: Grant[], names: Set<string>): Pick<Principal, 'allowedTools' | 'allowedPrompts' | 'allowedResources'> {
  if (grants.length === 0) return {}
  const matching = grants.filter((grant) => names.has(grant.name))
  const union = (kind: 'allowedTools' | 'allowedPrompts' | 'allowedResources') =>
    matching.some((grant) => grant[kind] === undefined) ? undefined : new Set(matching.flatMap((grant) => [...(grant[kind] ?? [])]))
  return { allowedTools: union('allowedTools'), allowedPrompts: union('allowedPrompts'), allowedResources: union('allowedResources') }
}

/**
 * Verifies access tokens the way the MCP authorization spec has a resource server do it: signed by the
 * issuer's keys (JWKS, fetched at start-up and again only for an unknown `kid`, at most once per cooldown, so a
 * JWKS outage never refuses a token whose key is known), issued by the issuer, for this resource (RFC 8707:
 * `aud` names one of its identifiers; or, explicitly weaker, no `aud` and a listed `client_id`), unexpired
 * and expiring, with the required scopes. A verified token's principal is cached by the token's digest until
 * it expires, so a call costs a hash, not a signature check.
 */
export class TokenVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>
  private readonly cache = new Map<string, { principal: Principal; expiresAt: number }>()

  constructor(
    readonly settings: OAuthSettings,
    metadata: ServerMetadata,
  ) {
    this.jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: settings.jwksCooldownMs, cacheMaxAge: Number.POSITIVE_INFINITY, timeoutDuration: DISCOVERY_TIMEOUT_MS })
  }

  /** Fetches the key set now, so the first call does not (and a missing JWKS stops the start). */
  async load(): Promise<void> {
    await this.jwks.reload()
  }

  /**
   * The principal of a token verified before and not yet expired, at once (scopes checked): a call costs a hash
   * and a lookup, and no promise. Undefined when the token must be verified first.
   */
  known(token: string, now = Date.now()): Principal | undefined {
    const digest = digestOf(token)
    const cached = this.cache.get(digest)
    if (!cached) return undefined
    if (cached.expiresAt <= now) {
      this.cache.delete(digest)
      return undefined
    }
    return this.checkScopes(cached.principal)
  }

  /** Verifies a token not known yet (signature, issuer, audience, expiry) and caches its principal until it expires. */
  async verify(token: string, now = Date.now()): Promise<Principal> {
    const known = this.known(token, now)
    if (known) return known
    const payload = await this.verified(token)
    const principal = this.principalOf(payload)
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(digestOf(token), { principal, expiresAt: (payload.exp as number) * 1000 })
    return this.checkScopes(principal)
  }

  private async verified(token: string): Promise<JWTPayload> {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, this.jwks, { issuer: this.settings.issuer, algorithms: ALGORITHMS, requiredClaims: ['exp', 'sub'], clockTolerance: CLOCK_TOLERANCE_S }))
    } catch (error) {
      // jose's messages say what failed ("\"exp\" claim timestamp check failed", "signature verification failed", …) and hold no token.
      throw new OAuthRefusal('invalid_token', `The access token is not valid: ${(error as Error).message}`)
    }
    const audiences = words(payload.aud)
    if (audiences.length > 0) {
      if (!audiences.some((audience) => this.settings.audiences.includes(audience))) throw new OAuthRefusal('invalid_token', 'The access token was not issued for this resource (aud)')
    } else if (!this.settings.clientIds.includes(String(payload.client_id ?? payload.azp ?? ''))) {
      throw new OAuthRefusal('invalid_token', 'The access token names no audience (aud)')
    }
    return payload
  }

  private principalOf(payload: JWTPayload): Principal {
    const scopes = new Set([...words(payload.scope), ...words(payload.scp)])
    const groups = this.settings.groupsClaim ? words(payload[this.settings.groupsClaim]) : []
    const clientId = payload.client_id ?? payload.azp
    return {
      name: `oauth:${payload.sub}`,
      clientId: typeof clientId === 'string' ? clientId : undefined,
      scopes,
      ...allowances(this.settings.grants, new Set([...scopes, ...groups])),
    }
  }

  private checkScopes(principal: Principal): Principal {
    const missing = this.settings.requiredScopes.filter((scope) => !principal.scopes?.has(scope))
    if (missing.length > 0) throw new OAuthRefusal('insufficient_scope', `The access token lacks the scope ${missing.join(' ')}`)
    return principal
  }
}

/** What a route's challenge points at: its Protected Resource Metadata (RFC 9728, path-aware). */
export function resourceMetadataUrl(settings: OAuthSettings, resource: 'mcp' | 'sse'): string {
  const base = new URL(settings.resourceBase)
  return `${base.origin}/.well-known/oauth-protected-resource${base.pathname.replace(/\/$/, '')}/${resource}`
}

/** A quoted-string parameter of a challenge (RFC 9110 §11.2): no quote or backslash survives unescaped. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, "'")}"`

/**
 * The `WWW-Authenticate` of a refused request: where the resource metadata is (so a client can find the
 * authorization server), the scopes to ask for, and for a refused token the error (RFC 6750 §3).
 */
export function challenge(settings: OAuthSettings, resource: 'mcp' | 'sse', refusal?: OAuthRefusal): string {
  const params: string[] = []
  if (refusal) params.push(`error=${quoted(refusal.code)}`, `error_description=${quoted(refusal.message)}`)
  if (settings.requiredScopes.length > 0) params.push(`scope=${quoted(settings.requiredScopes.join(' '))}`)
  params.push(`resource_metadata=${quoted(resourceMetadataUrl(settings, resource))}`)
  return `Bearer ${params.join(', ')}`
}

/** The Protected Resource Metadata document of one resource identifier (RFC 9728 §2). */
export function protectedResourceMetadata(settings: OAuthSettings, resource: 'mcp' | 'sse') {
  // Clients ask for what is listed here; a grant named after an IdP group is no scope, so with a groups claim
  // only the required scopes are listed.
  const grantScopes = settings.groupsClaim ? [] : settings.grants.map((grant) => grant.name)
  const scopes = [...new Set([...settings.requiredScopes, ...grantScopes])]
  return {
    resource: `${settings.resourceBase}/${resource}`,
    // Bridged, clients ask our origin for the authorization server's metadata (oauth-bridge.ts).
    authorization_servers: [settings.bridge ? new URL(settings.resourceBase).origin : settings.issuer],
    ...(scopes.length > 0 && { scopes_supported: scopes }),
    bearer_methods_supported: ['header'],
    resource_name: 'MCP server',
  }
}
