import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import type { OAuthSettings, ServerMetadata } from './oauth.js'

/**
 * What an issuer like Amazon Cognito lacks for MCP clients, served on our origin (MCP_OAUTH_AS_METADATA=bridge),
 * as peers bridge it: Cognito's discovery document has no `code_challenge_methods_supported`, which clients
 * following the 2025-11-25 authorization spec must see before they proceed ("MUST refuse to proceed" without
 * it, "Authorization Code Protection"), and Cognito offers no Dynamic Client Registration (RFC 7591). The
 * metadata here is the issuer's own with S256 declared (Cognito requires S256 whenever a client sends PKCE)
 * and our registration endpoint added; its `issuer` is our origin, the identifier clients discovered it by
 * (RFC 8414 §3.3). Tokens are still the issuer's, verified against its keys.
 */
export function bridgedMetadata(settings: OAuthSettings, issuer: ServerMetadata): Record<string, unknown> {
  const origin = new URL(settings.resourceBase).origin
  return {
    ...issuer,
    issuer: origin,
    // The issuer's authorization responses would name it, not our origin (RFC 9207): not advertised here.
    authorization_response_iss_parameter_supported: false,
    code_challenge_methods_supported: ['S256'],
    ...(settings.registrationClientId && { registration_endpoint: `${origin}/register`, token_endpoint_auth_methods_supported: ['none'] }),
  }
}

const Registration = z.object({ redirect_uris: z.array(z.string()).min(1), client_name: z.string().max(200).optional() }).loose()

/** An RFC 7591 §3.2.2 error answer. */
const registrationError = (reply: FastifyReply, error: string, description: string) => reply.code(400).header('cache-control', 'no-store').send({ error, error_description: description })

/**
 * The bridge's routes: the authorization-server metadata at both well-known names, and, with
 * MCP_OAUTH_REGISTRATION_CLIENT_ID, a registration endpoint that answers every client with the one public client
 * registered at the issuer, for redirect URIs the issuer accepts for it (MCP_OAUTH_REDIRECT_URIS), refusing others.
 */
export function bridgeRoutes(app: FastifyInstance, settings: OAuthSettings, issuer: ServerMetadata): void {
  const metadata = bridgedMetadata(settings, issuer)
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(url, { config: { public: true } }, (_request, reply) => reply.header('cache-control', 'public, max-age=3600').send(metadata))
  }
  const clientId = settings.registrationClientId
  if (!clientId) return
  app.post('/register', { config: { public: true } }, (request, reply) => {
    const parsed = Registration.safeParse(request.body)
    if (!parsed.success) return registrationError(reply, 'invalid_redirect_uri', 'redirect_uris must list at least one URI')
    const refused = parsed.data.redirect_uris.filter((uri) => !settings.redirectUris.includes(uri))
    if (refused.length > 0) {
      return registrationError(reply, 'invalid_redirect_uri', `not a redirect URI of this server's client: ${refused.join(' ')} (accepted: ${settings.redirectUris.join(' ')})`)
    }
    return reply.code(201).header('cache-control', 'no-store').send({
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      client_name: parsed.data.client_name,
      redirect_uris: parsed.data.redirect_uris,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    })
  })
}
