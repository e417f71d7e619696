import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { Config } from '../config.js'
import { findKey, type ApiKey } from '../keys.js'
import { tooManyRequests, unauthorized } from './errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The key that authenticated this request; set on every route that is not public. */
    principal: ApiKey
  }
  interface FastifyContextConfig {
    /** Routes that need no API key (health, readiness, metrics with its own guard). */
    public?: boolean
  }
}

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim()
  const header = request.headers['x-api-key']
  return typeof header === 'string' ? header : undefined
}

export interface AuthOptions {
  config: Config
  keys: ApiKey[]
}

/**
 * API-key authentication and the two request limits that hang on it: a per-key request rate, and a rate of
 * failed attempts per source IP. Failures are counted only when they happen, so a busy IP's valid keys are
 * never locked out by someone else's (or a forgotten Inspector tab's) bad ones. Both count in Redis when
 * REDIS_URL is set, so a limit holds across all tasks together.
 */
export default fp(async function auth(app: FastifyInstance, { config, keys }: AuthOptions) {
  // With Redis the counters are shared by every task. While Redis is down the limits let requests through
  // (and readiness says so) rather than turning a cache outage into an outage of every session.
  await app.register(rateLimit, { global: false, redis: app.redis, nameSpace: 'mcp-rl:', skipOnError: true })
  const perKey = app.createRateLimit({
    max: config.rateLimitPerMin,
    timeWindow: 60_000,
    keyGenerator: (request) => `key:${request.principal.name}`,
  })
  const failuresPerIp = app.createRateLimit({
    max: config.authFailuresPerMin,
    timeWindow: 60_000,
    keyGenerator: (request) => `authfail:${request.ip}`,
  })

  app.decorateRequest('principal', undefined as unknown as ApiKey)
  app.addHook('onRequest', async (request) => {
    if (request.is404 || request.routeOptions.config.public) return
    const presented = presentedKey(request)
    const key = presented ? findKey(keys, presented) : undefined
    if (!key) {
      app.metrics.authFailures.inc()
      const verdict = await failuresPerIp(request)
      if (!verdict.isAllowed && verdict.isExceeded) {
        app.metrics.rateLimited.inc({ reason: 'auth_failures' })
        throw tooManyRequests(verdict.ttlInSeconds, 'failed authentication attempts from this address')
      }
      request.log.info({ event: 'auth_failed', ip: request.ip }, 'authentication failed')
      throw unauthorized()
    }
    request.principal = key
    request.log = request.log.child({ principal: key.name })
    const verdict = await perKey(request)
    if (!verdict.isAllowed && verdict.isExceeded) {
      app.metrics.rateLimited.inc({ reason: 'key_rate' })
      throw tooManyRequests(verdict.ttlInSeconds, 'requests for this key')
    }
  })
})
