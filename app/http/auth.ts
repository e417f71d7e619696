import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { findKey, type ApiKey, type Principal } from '../keys.js'
import { HttpError, invalidRequest, tooManyRequests, unauthorized } from './errors.js'
import type { OAuthResource } from './oauth-resource.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts for (an API key, or an access token's subject); set on every route that is not public. */
    principal: Principal
  }
  interface FastifyContextConfig {
    /** Routes that need no credential (health, readiness, metrics with its own guard, OAuth metadata). */
    public?: boolean
  }
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>
type LimitVerdict = Awaited<ReturnType<Limiter>>
type CountedVerdict = Extract<LimitVerdict, { isAllowed: false }>

/**
 * The rate-limit plugin in a scope of its own, handing `ready` the scope once the plugin is loaded: it
 * decorates the scope it is registered in once, with one store, and the limits need two (Redis, and memory
 * while Redis cannot be reached). The plugin after it in the same scope loads only once it has.
 */
function limiterScope(app: FastifyInstance, options: RateLimitPluginOptions, ready: (scope: FastifyInstance) => void): void {
  app.register(async (scope) => {
    scope.register(rateLimit, options)
    scope.register(async () => ready(scope))
  })
}

/**
 * `Bearer <credential>`; the scheme is case-insensitive (RFC 9110 §11.1), so `bearer` and `BEARER` work too. Only
 * the scheme is matched: an access token is a kilobyte, and a pattern over all of it cost 0.4 µs a call.
 */
const BEARER_SCHEME = /^bearer +/i

type Credential = { kind: 'key' | 'token'; value: string }

/**
 * What the request presents: `X-API-Key` is always a key; `Authorization: Bearer` carries an OAuth access
 * token when OAuth is on and the value is one (oauth-resource.ts `isToken`), else a key, as before OAuth.
 */
function presented(request: FastifyRequest, oauth: OAuthResource | undefined): Credential | undefined {
  const header = request.headers['x-api-key']
  if (typeof header === 'string') return { kind: 'key', value: header }
  const authorization = request.headers.authorization
  const scheme = authorization && BEARER_SCHEME.exec(authorization)
  const bearer = scheme ? authorization.slice(scheme[0].length).trim() : ''
  if (bearer === '') return undefined
  return { kind: oauth?.isToken(bearer) ? 'token' : 'key', value: bearer }
}

const UNAUTHORIZED_WITH_OAUTH = 'Unauthorized: sign in (an OAuth access token as "Authorization: Bearer <token>") or send an API key as "X-API-Key"'

/** The MCP authorization spec has a server refuse access tokens in the query string (2025-11-25 "Access Token Usage"). */
const tokenInQuery = (request: FastifyRequest) => /[?&]access_token=/.test(request.url)

export interface AuthOptions {
  config: Config
  keys: ApiKey[]
}

/**
 * Authentication (API keys, and OAuth access tokens through oauth-resource.ts when OAuth is on) and the two
 * request limits that hang on it: a per-principal request rate, and a rate of failed attempts per source IP. Failures are counted only when they happen, so a busy IP's valid keys are
 * never locked out by someone else's (or a forgotten Inspector tab's) bad ones. Both count in Redis when
 * REDIS_URL is set, so a limit holds across all tasks together.
 */
export default fp(async function auth(app: FastifyInstance, { config, keys }: AuthOptions) {
  // With Redis the counters are shared by every task. While Redis is down or hangs, each task counts on its own
  // (the same limits, in memory) rather than letting everything through or turning a cache outage into an
  // outage of every session; readiness says Redis is down meanwhile. The plugin's own `skipOnError` would
  // swallow the error; `count` does the same but lets SharedRedis see a timeout, so the next command fails at
  // once instead of waiting the timeout again.
  const shared = app.redis
  const limits = (scope: Pick<FastifyInstance, 'createRateLimit'>) => ({
    perKey: scope.createRateLimit({ max: config.rateLimitPerMin, timeWindow: 60_000, keyGenerator: (request) => `key:${request.principal.name}` }),
    failuresPerIp: scope.createRateLimit({ max: config.authFailuresPerMin, timeWindow: 60_000, keyGenerator: (request) => `authfail:${request.ip}` }),
  })
  type Limits = ReturnType<typeof limits>
  let counters: Limits | undefined
  let fallback: Limits | undefined
  limiterScope(app, { global: false, redis: shared?.client, nameSpace: 'mcp-rl:', skipOnError: false }, (scope) => (counters = limits(scope)))
  if (shared) limiterScope(app, { global: false }, (scope) => (fallback = limits(scope)))
  const count = async (limit: keyof Limits, request: FastifyRequest): Promise<LimitVerdict> => {
    const limiter = counters?.[limit]
    if (!limiter) throw new Error('rate limits used before the server is ready')
    if (!shared || !fallback) return limiter(request)
    try {
      return await shared.run(() => limiter(request))
    } catch {
      return fallback[limit](request)
    }
  }

  const keyRateExceeded = (retryAfterSeconds: number) => {
    app.metrics.rateLimited.inc({ reason: 'key_rate' })
    return tooManyRequests(retryAfterSeconds, 'requests for this key')
  }
  /** The per-key verdict of each authenticated request, for counting the rest of a batch. */
  const verdicts = new WeakMap<FastifyRequest, CountedVerdict>()

  app.decorateRequest('principal', undefined as unknown as Principal)
  app.addHook('onRequest', async (request) => {
    if (request.is404 || request.routeOptions.config.public) return
    const oauth = app.oauth
    if (oauth && tokenInQuery(request)) throw invalidRequest('Bad Request: access tokens are accepted in the Authorization header only, never in the query string')
    const credential = presented(request, oauth)
    // A key, and a token verified before, are found without awaiting anything: only a new token pays a promise.
    let principal = credential?.kind === 'token' && oauth ? oauth.principal(request, credential.value) : credential && findKey(keys, credential.value)
    if (principal instanceof Promise) principal = await principal
    if (!principal || principal instanceof HttpError) {
      app.metrics.authFailures.inc()
      const verdict = await count('failuresPerIp', request)
      if (!verdict.isAllowed && verdict.isExceeded) {
        app.metrics.rateLimited.inc({ reason: 'auth_failures' })
        throw tooManyRequests(verdict.ttlInSeconds, 'failed authentication attempts from this address')
      }
      request.log.info({ event: 'auth_failed', ip: request.ip, credential: credential?.kind ?? 'none' }, 'authentication failed')
      // With OAuth on, a request without a valid credential learns where to sign in (the challenge's resource_metadata).
      throw principal ?? (oauth ? oauth.unauthorized(request, UNAUTHORIZED_WITH_OAUTH) : unauthorized())
    }
    request.principal = principal
    // Fastify built this request's own pino child logger; naming the principal on it instead of building a
    // second child saves 2 % of a tool call's CPU (benchmark profile). pino's setBindings adds to its bindings.
    ;(request.log as Logger).setBindings({ principal: request.principal.name })
    const verdict = await count('perKey', request)
    if (verdict.isAllowed) return
    if (verdict.isExceeded) throw keyRateExceeded(verdict.ttlInSeconds)
    verdicts.set(request, verdict)
  })

  // A JSON-RPC batch of N messages is N requests against the key's rate: onRequest counted one, the rest are
  // counted once the body is parsed. The plugin's stores add 1 per call (`store.incr`, no weight), so this is
  // one call per further message; a batch larger than what is left of the window is refused without them,
  // which bounds the calls per request by the limit itself.
  app.addHook('preHandler', async (request) => {
    const first = verdicts.get(request)
    if (!first || !Array.isArray(request.body) || request.body.length < 2) return
    const more = request.body.length - 1
    if (more > first.remaining) throw keyRateExceeded(first.ttlInSeconds)
    const counted = await Promise.all(Array.from({ length: more }, () => count('perKey', request)))
    for (const verdict of counted) {
      if (!verdict.isAllowed && verdict.isExceeded) throw keyRateExceeded(verdict.ttlInSeconds)
    }
  })
})
