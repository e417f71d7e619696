// A real authorization server process for the OAuth tests and the benchmark: oauth2-mock-server on a loopback
// port (AS_PORT, or a random one), which prints its issuer URL as its first line and runs until it is stopped.
// Two things it is made to do that a real one does: an access token names the resource it was asked for
// (RFC 8707 `resource` -> `aud`) and the client it was issued to (`client_id`). Test-only token request parameters (`test_*`) shape the claims.
// With AS_LIKE_COGNITO=1 its discovery document lacks `code_challenge_methods_supported`, as Amazon Cognito's does.
import { HttpServer, OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server'

const likeCognito = process.env.AS_LIKE_COGNITO === '1'
const issuer = new OAuth2Issuer()
const service = new OAuth2Service(issuer, likeCognito ? { wellKnownDocument: '/.well-known/mock-discovery' } : undefined)
await issuer.keys.generate('RS256')

// What the user approved, by authorization code, as a real server remembers it for the token request.
const approved = new Map()
service.on('beforeAuthorizeRedirect', (redirect, req) => {
  const code = new URL(redirect.url).searchParams.get('code')
  if (code) approved.set(code, { scope: req.query.scope, resource: req.query.resource })
})

service.on('beforeTokenSigning', (token, req) => {
  const body = { ...approved.get(req.body?.code), ...req.body }
  const payload = token.payload
  payload.sub = body.test_sub ?? payload.sub ?? 'ada'
  if (body.client_id) payload.client_id = body.client_id
  if (body.resource) payload.aud = body.resource
  if (body.scope !== undefined) payload.scope = body.scope
  if (body.test_expires_in) payload.exp = Math.floor(Date.now() / 1000) + Number(body.test_expires_in)
  if (body.test_not_before_in) payload.nbf = Math.floor(Date.now() / 1000) + Number(body.test_not_before_in)
  if (body.test_groups) payload.groups = body.test_groups.split(',')
  if (body.test_scp) payload.scp = body.test_scp.split(' ')
  for (const claim of String(body.test_omit ?? '').split(',').filter(Boolean)) delete payload[claim]
})

// How often the key set was served, so the benchmark can show a resource server never fetches it on the call
// path. The library's JWKS route serves `issuer.keys.toJSON()` and nothing else calls it (OAuth2Service, jwksHandler).
let jwksServed = 0
const serveKeys = issuer.keys.toJSON.bind(issuer.keys)
issuer.keys.toJSON = (...args) => {
  jwksServed++
  return serveKeys(...args)
}

const json = (res, body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
// The routes the tests add. They come before the library's request handler, which answers every path it does not
// serve with 404 (OAuth2Service.buildRequestHandler).
const routes = {
  // A key rotation, as an authorization server does it: a new signing key, published beside the old one.
  'POST /test/rotate': async (_req, res) => {
    await issuer.keys.generate('RS256')
    json(res, { rotated: true })
  },
  'GET /test/jwks-served': (_req, res) => json(res, { served: jwksServed }),
}
if (likeCognito) {
  routes['GET /.well-known/openid-configuration'] = (req, res) =>
    service.openidConfigurationHandler(req, {
      json: (document) => {
        delete document.code_challenge_methods_supported
        json(res, document)
      },
    })
}

const server = new HttpServer((req, res) => {
  const route = routes[`${req.method} ${new URL(req.url, 'http://localhost').pathname}`]
  if (route) void route(req, res)
  else service.requestHandler(req, res)
})
const host = '127.0.0.1'
await server.start(Number(process.env.AS_PORT ?? 0), host)
issuer.url = server.buildIssuerUrl(host, server.address().port)
process.stdout.write(`${issuer.url}\n`)
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)))
