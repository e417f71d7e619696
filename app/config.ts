import { readFileSync } from 'node:fs'
import proxyAddr from '@fastify/proxy-addr'
import { z } from 'zod'
import type { Grant } from './http/oauth.js'
import type { TelemetrySettings } from './telemetry/sdk.js'
import { parseApiKeys, splitAllowLists, unknownAllowances, type ApiKey, type CatalogNames } from './keys.js'

/** A whole number from the environment, said in words when it is not one (zod's own text is "received NaN"). */
const whole = (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => whole(min, max).default(fallback)
const port = (fallback: number) => int(fallback, 0, 65535)

/**
 * Fastify hands a string `trustProxy` to proxy-addr's compile, which throws a TypeError on the first bad entry
 * (fastify lib/request.js, getTrustProxyFn): compiled here first, so a bad value is a line naming the setting.
 */
function trustProxy(value: string, ctx: z.RefinementCtx): boolean | string {
  const lower = value.trim().toLowerCase()
  if (lower === 'true' || lower === 'false') return lower === 'true'
  try {
    proxyAddr.compile(value.split(',').map((entry) => entry.trim()))
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `must be true, false or comma-separated IP addresses / CIDR ranges (${(error as Error).message})` })
    return z.NEVER
  }
  return value
}
const list = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
/** Space-separated, as OAuth writes scopes and audiences. */
const spaced = z
  .string()
  .default('')
  .transform((value) => value.split(/\s+/).filter(Boolean))

/** `scope-or-group:tools=a|b:prompts=c:resources=x` entries, comma-separated (a key's allow-list syntax). */
function grants(value: string, ctx: z.RefinementCtx): Grant[] {
  const parsed: Grant[] = []
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      try {
        const { credential, lists } = splitAllowLists(entry, `entry ${index + 1}`)
        if (!credential) throw new Error(`entry ${index + 1}: names no scope or group`)
        parsed.push({ name: credential, allowedTools: lists.tools, allowedPrompts: lists.prompts, allowedResources: lists.resources })
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message })
      }
    })
  return parsed
}

/**
 * AWS Lambda's documented limits for a function URL in RESPONSE_STREAM mode (Lambda developer guide,
 * "Response streaming for Lambda functions" and "Invoking a response streaming enabled function using Lambda
 * function URLs"): a streamed response may be up to 200 MB, of which the first 6 MB go out at full speed and
 * the rest at most 2 MBps; the request (the invocation payload) is capped at 6 MB.
 */
export const LAMBDA_LIMITS = { fastResponseBytes: 6 * 1024 * 1024, maxStreamedResponseBytes: 200 * 1024 * 1024, requestBytes: 6 * 1024 * 1024 }

/** Drain after SIGTERM when MCP_DRAIN_MS is not set: ECS's window in production, a short wait on a laptop. */
export const DEFAULT_DRAIN_MS = { production: 30_000, development: 2_000 }

/**
 * Every setting the server reads, from the environment only. docs/configuration.md documents each one
 * (test/docs/docs.test.ts keeps them in step) and `--help` lists them with their defaults.
 */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], 'must be development, production or test').default('development'),
  PORT: port(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MCP_BASE_PATH: z
    .string()
    .default('')
    .transform((value) => value.replace(/\/+$/, ''))
    .refine((value) => value === '' || /^\/[A-Za-z0-9._~\-/]*$/.test(value), 'must start with "/" and hold only URL path characters'),
  MCP_API_KEYS: z.string().optional(),
  MCP_API_KEYS_FILE: z.string().optional(),
  MCP_ALLOWED_ORIGINS: list,
  MCP_HEARTBEAT_MS: int(15_000, 100),
  MCP_MAX_BODY_BYTES: int(1_048_576, 1024),
  MCP_RATE_LIMIT_PER_MIN: int(1_200, 1),
  MCP_AUTH_FAILURES_PER_MIN: int(60, 1),
  MCP_MAX_SESSIONS: int(1_000, 1),
  MCP_MAX_SESSIONS_PER_KEY: int(100, 1),
  MCP_SESSION_IDLE_MS: int(1_800_000, 1_000),
  MCP_DRAIN_MS: whole().optional(),
  MCP_MAX_STREAM_BUFFER_BYTES: int(1_048_576, 1024),
  MCP_MAX_BUFFERED_BYTES_PER_KEY: int(8_388_608, 1024),
  MCP_MAX_IN_FLIGHT_PER_SESSION: int(16, 1),
  MCP_MAX_MODERN_IN_FLIGHT: int(1_000, 1),
  MCP_MAX_IN_FLIGHT_PER_KEY: int(100, 1),
  MCP_MAX_INPUT_BYTES: int(134_217_728, 65_536),
  MCP_MAX_INPUT_BYTES_PER_KEY: int(16_777_216, 65_536),
  MCP_MAX_JSON_DEPTH: int(64, 2),
  MCP_MAX_JSON_ELEMENTS: int(20_000, 10),
  MCP_HEAP_SHED_PERCENT: int(85, 20, 98),
  MCP_HEADERS_TIMEOUT_MS: int(10_000, 100),
  MCP_REQUEST_TIMEOUT_MS: int(15_000, 100),
  MCP_KEEP_ALIVE_TIMEOUT_MS: int(65_000, 100),
  MCP_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MCP_TRUST_PROXY: z.string().default('false').transform(trustProxy),
  MCP_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  MCP_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  MCP_OAUTH_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  MCP_OAUTH_AUDIENCE: spaced,
  MCP_OAUTH_CLIENT_IDS: spaced,
  MCP_OAUTH_REQUIRED_SCOPES: spaced,
  MCP_OAUTH_GRANTS: z.string().default('').transform(grants),
  MCP_OAUTH_GROUPS_CLAIM: z.string().min(1).optional(),
  MCP_OAUTH_KEYS_IN_BEARER: z.enum(['true', 'false'], 'must be true or false').default('true').transform((value) => value === 'true'),
  MCP_OAUTH_JWKS_COOLDOWN_MS: int(30_000, 1_000),
  MCP_OAUTH_AS_METADATA: z.enum(['issuer', 'bridge'], 'must be issuer or bridge').default('issuer'),
  MCP_OAUTH_REGISTRATION_CLIENT_ID: z.string().min(1).optional(),
  MCP_OAUTH_REDIRECT_URIS: spaced,
  MCP_DEV_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  MCP_PEER_PORT: port(3001),
  MCP_PEER_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be host:port')
    .optional(),
  ECS_CONTAINER_METADATA_URI_V4: z.url().optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  MCP_REDIS_TIMEOUT_MS: int(300, 10),
  MCP_EMF_NAMESPACE: z.string().min(1).max(255).optional(),
  MCP_EMF_SERVICE_NAME: z.string().min(1).max(255).default('mcp-server'),
  MCP_EMF_INTERVAL_MS: int(60_000, 1_000),
  // OpenTelemetry's standard variables (opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables):
  // checked here, read by the SDK itself (the exporters, sampler, batch processor and resource).
  OTEL_SDK_DISABLED: z.enum(['true', 'false'], 'must be true or false').default('false'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json'], 'must be http/protobuf or http/json (grpc is not supported)').default('http/protobuf'),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], 'must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio')
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a ratio from 0 to 1')
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_BSP_SCHEDULE_DELAY: whole().optional(),
  OTEL_BSP_MAX_QUEUE_SIZE: whole(1).optional(),
  OTEL_METRIC_EXPORT_INTERVAL: int(60_000, 100),
  MCP_WEATHER_URL: z.url({ protocol: /^https?$/ }).default('https://api.open-meteo.com/v1/forecast'),
  MCP_WEATHER_TIMEOUT_MS: int(5_000, 100),
  MCP_FILES_ROOT: z.string().min(1).default('files'),
  MCP_FILES_MAX_BYTES: int(1_048_576, 1),
  MCP_MAX_PROFILES_PER_KEY: int(1_000, 1),
  MCP_CONFORMANCE_FIXTURES: z.enum(['0', '1'], 'must be 0 or 1').default('0'),
  MCP_STATELESS: z.enum(['true', 'false'], 'must be true or false').default('false').transform((value) => value === 'true'),
  MCP_SESSION_URL: z.url({ protocol: /^https?$/ }).optional(),
  MCP_LAMBDA_MAX_RESPONSE_BYTES: int(LAMBDA_LIMITS.fastResponseBytes, 1024, LAMBDA_LIMITS.maxStreamedResponseBytes),
  MCP_LAMBDA_DEADLINE_MARGIN_MS: int(3_000, 100, 60_000),
  MCP_LAMBDA_ORIGIN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // Read by the Lambda entry before this schema sees the environment (app/lambda/public-url.ts).
  MCP_LAMBDA_PUBLIC_URL_PARAMETER: z.string().regex(/^\/[\w.\-/]+$/, 'an SSM parameter name (/path/name)').optional(),
})

export type Config = ReturnType<typeof toConfig>

function toConfig(env: z.infer<typeof EnvSchema>, keys: ApiKey[]) {
  const production = env.NODE_ENV === 'production'
  return {
    production,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    basePath: env.MCP_BASE_PATH,
    keys,
    allowedOrigins: env.MCP_ALLOWED_ORIGINS,
    heartbeatMs: env.MCP_HEARTBEAT_MS,
    maxBodyBytes: env.MCP_MAX_BODY_BYTES,
    rateLimitPerMin: env.MCP_RATE_LIMIT_PER_MIN,
    authFailuresPerMin: env.MCP_AUTH_FAILURES_PER_MIN,
    maxSessions: env.MCP_MAX_SESSIONS,
    maxSessionsPerKey: env.MCP_MAX_SESSIONS_PER_KEY,
    sessionIdleMs: env.MCP_SESSION_IDLE_MS,
    drainMs: env.MCP_DRAIN_MS ?? (production ? DEFAULT_DRAIN_MS.production : DEFAULT_DRAIN_MS.development),
    maxStreamBufferBytes: env.MCP_MAX_STREAM_BUFFER_BYTES,
    maxBufferedBytesPerKey: env.MCP_MAX_BUFFERED_BYTES_PER_KEY,
    maxInFlightPerSession: env.MCP_MAX_IN_FLIGHT_PER_SESSION,
    maxModernInFlight: env.MCP_MAX_MODERN_IN_FLIGHT,
    maxInFlightPerKey: env.MCP_MAX_IN_FLIGHT_PER_KEY,
    maxInputBytes: env.MCP_MAX_INPUT_BYTES,
    maxInputBytesPerKey: env.MCP_MAX_INPUT_BYTES_PER_KEY,
    maxJsonDepth: env.MCP_MAX_JSON_DEPTH,
    maxJsonElements: env.MCP_MAX_JSON_ELEMENTS,
    heapShedPercent: env.MCP_HEAP_SHED_PERCENT,
    headersTimeoutMs: env.MCP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.MCP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.MCP_KEEP_ALIVE_TIMEOUT_MS,
    metricsToken: env.MCP_METRICS_TOKEN,
    trustProxy: env.MCP_TRUST_PROXY,
    sessionSecret: env.MCP_SESSION_SECRET,
    publicUrl: env.MCP_PUBLIC_URL,
    oauth: oauthOf(env),
    devKey: env.MCP_DEV_KEY,
    peerPort: env.MCP_PEER_PORT,
    peerAddress: env.MCP_PEER_ADDRESS,
    ecsMetadataUri: env.ECS_CONTAINER_METADATA_URI_V4,
    redisUrl: env.REDIS_URL,
    redisTimeoutMs: env.MCP_REDIS_TIMEOUT_MS,
    emf: env.MCP_EMF_NAMESPACE
      ? { namespace: env.MCP_EMF_NAMESPACE, serviceName: env.MCP_EMF_SERVICE_NAME, intervalMs: env.MCP_EMF_INTERVAL_MS }
      : undefined,
    telemetry: telemetryOf(env),
    weatherUrl: env.MCP_WEATHER_URL,
    weatherTimeoutMs: env.MCP_WEATHER_TIMEOUT_MS,
    filesRoot: env.MCP_FILES_ROOT,
    filesMaxBytes: env.MCP_FILES_MAX_BYTES,
    maxProfilesPerKey: env.MCP_MAX_PROFILES_PER_KEY,
    conformanceFixtures: env.MCP_CONFORMANCE_FIXTURES === '1',
    stateless: env.MCP_STATELESS,
    sessionUrl: env.MCP_SESSION_URL?.replace(/\/+$/, ''),
    lambda: {
      maxResponseBytes: env.MCP_LAMBDA_MAX_RESPONSE_BYTES,
      deadlineMarginMs: env.MCP_LAMBDA_DEADLINE_MARGIN_MS,
      originSecret: env.MCP_LAMBDA_ORIGIN_SECRET,
    },
  }
}

/** Traces and metrics over OTLP, when an endpoint is set and the SDK is not disabled; otherwise none of it is loaded. */
function telemetryOf(env: z.infer<typeof EnvSchema>): TelemetrySettings | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
  if (endpoint === undefined || env.OTEL_SDK_DISABLED === 'true') return undefined
  return { protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL, metricExportIntervalMs: env.OTEL_METRIC_EXPORT_INTERVAL }
}

/** OAuth's settings, when MCP_OAUTH_ISSUER turns it on (checked together in `oauthProblems`). */
function oauthOf(env: z.infer<typeof EnvSchema>) {
  if (!env.MCP_OAUTH_ISSUER || !env.MCP_PUBLIC_URL) return undefined
  // MCP_PUBLIC_URL may name the origin only, or the origin with the base path (as the stack sets it).
  const url = new URL(env.MCP_PUBLIC_URL)
  const resourceBase = `${url.origin}${env.MCP_BASE_PATH}`
  return {
    issuer: env.MCP_OAUTH_ISSUER,
    resourceBase,
    audiences: env.MCP_OAUTH_AUDIENCE.length > 0 ? env.MCP_OAUTH_AUDIENCE : [`${resourceBase}/mcp`, `${resourceBase}/sse`],
    clientIds: env.MCP_OAUTH_CLIENT_IDS,
    requiredScopes: env.MCP_OAUTH_REQUIRED_SCOPES,
    grants: env.MCP_OAUTH_GRANTS,
    groupsClaim: env.MCP_OAUTH_GROUPS_CLAIM,
    keysInBearer: env.MCP_OAUTH_KEYS_IN_BEARER,
    jwksCooldownMs: env.MCP_OAUTH_JWKS_COOLDOWN_MS,
    bridge: env.MCP_OAUTH_AS_METADATA === 'bridge',
    registrationClientId: env.MCP_OAUTH_REGISTRATION_CLIENT_ID,
    redirectUris: env.MCP_OAUTH_REDIRECT_URIS,
  }
}

/** What OAuth needs beside its issuer: a public URL that is an origin (https in production). */
function oauthProblems(env: z.infer<typeof EnvSchema>, production: boolean): string[] {
  if (!env.MCP_OAUTH_ISSUER) return []
  if (!env.MCP_PUBLIC_URL) return ['MCP_PUBLIC_URL: required with MCP_OAUTH_ISSUER (the URL clients use; the resource identifiers are built from it)']
  const url = new URL(env.MCP_PUBLIC_URL)
  const problems: string[] = []
  const path = url.pathname.replace(/\/+$/, '')
  if ((path !== '' && path !== env.MCP_BASE_PATH) || url.search || url.hash) {
    problems.push(`MCP_PUBLIC_URL: with OAuth on, must be the origin clients use, or the origin and MCP_BASE_PATH (${env.MCP_BASE_PATH || 'empty'}); no other path, query or fragment`)
  }
  if (production && url.protocol !== 'https:') problems.push('MCP_PUBLIC_URL: must be https in production with OAuth on')
  const issuer = new URL(env.MCP_OAUTH_ISSUER)
  if (issuer.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname)) problems.push('MCP_OAUTH_ISSUER: must be https (or a loopback address)')
  if (env.MCP_OAUTH_REGISTRATION_CLIENT_ID && env.MCP_OAUTH_AS_METADATA !== 'bridge') problems.push('MCP_OAUTH_REGISTRATION_CLIENT_ID: needs MCP_OAUTH_AS_METADATA=bridge (clients find the registration endpoint in the metadata served here)')
  if (env.MCP_OAUTH_REGISTRATION_CLIENT_ID && env.MCP_OAUTH_REDIRECT_URIS.length === 0) problems.push('MCP_OAUTH_REDIRECT_URIS: required with MCP_OAUTH_REGISTRATION_CLIENT_ID (the redirect URIs the pre-registered client accepts)')
  return problems
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    // One line per problem, each naming its variable, so the reason is the first thing in the task's log.
    super(problems.map((problem) => `Invalid configuration: ${problem}`).join('\n'))
  }
}

export interface LoadOptions {
  /** What the catalog offers: every `tools=`, `prompts=` and `resources=` allow-list must name only these (none given: not checked). */
  catalog?: CatalogNames
  /** False for `--stdio`: one local session, no HTTP, so production needs no API keys there. */
  needsKeys?: boolean
}

/** Reads and validates the whole configuration; throws one ConfigError naming every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { catalog, needsKeys = true }: LoadOptions = {}): Config {
  const parsed = EnvSchema.safeParse(env)
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
  const { keys, problems: keyProblems } = readKeys(env, catalog)
  problems.push(...keyProblems)
  const production = env.NODE_ENV === 'production'
  if (parsed.success) problems.push(...oauthProblems(parsed.data, production))
  if (parsed.success && catalog) problems.push(...unknownAllowances(parsed.data.MCP_OAUTH_GRANTS, catalog, 'grant').map((problem) => `MCP_OAUTH_GRANTS: ${problem}`))
  if (needsKeys && production && keyProblems.length === 0 && keys.length === 0 && !env.MCP_OAUTH_ISSUER) {
    problems.push('MCP_API_KEYS: no API keys configured; NODE_ENV=production refuses to start without MCP_API_KEYS or MCP_API_KEYS_FILE')
  }
  if (production && parsed.success && parsed.data.MCP_CONFORMANCE_FIXTURES === '1') {
    problems.push('MCP_CONFORMANCE_FIXTURES: only for testing; NODE_ENV=production never serves the conformance fixtures')
  }
  if (production && env.MCP_DEV_KEY) problems.push('MCP_DEV_KEY: only for development; NODE_ENV=production uses MCP_API_KEYS or MCP_API_KEYS_FILE')
  if (parsed.success && parsed.data.MCP_PEER_PORT !== 0 && parsed.data.MCP_PEER_PORT === parsed.data.PORT) {
    problems.push(`MCP_PEER_PORT: must differ from PORT (both ${parsed.data.PORT}); 0 turns relaying off`)
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems)
  return toConfig(parsed.data, keys)
}

/** The API keys from MCP_API_KEYS, or from MCP_API_KEYS_FILE when that is set, with what is wrong with them. */
function readKeys(env: NodeJS.ProcessEnv, catalog: CatalogNames | undefined): { keys: ApiKey[]; problems: string[] } {
  let source = 'MCP_API_KEYS'
  let text = env.MCP_API_KEYS ?? ''
  if (env.MCP_API_KEYS_FILE) {
    source = 'MCP_API_KEYS_FILE'
    try {
      text = readFileSync(env.MCP_API_KEYS_FILE, 'utf8')
    } catch (error) {
      return { keys: [], problems: [`MCP_API_KEYS_FILE: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`] }
    }
  }
  let keys: ApiKey[]
  try {
    keys = parseApiKeys(text)
  } catch (error) {
    return { keys: [], problems: [`${source}: ${(error as Error).message}`] }
  }
  const problems = catalog ? unknownAllowances(keys, catalog).map((problem) => `${source}: ${problem}`) : []
  return { keys, problems }
}
