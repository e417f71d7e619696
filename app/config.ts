import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { parseApiKeys, unknownAllowances, type ApiKey, type CatalogNames } from './keys.js'

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback)
const list = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))

/**
 * Every setting the server reads, from the environment only. The README's settings table mirrors this
 * schema; keep them in step.
 */
const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: int(3000).pipe(z.number().max(65535)),
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
  MCP_DRAIN_MS: int(30_000, 0),
  MCP_MAX_STREAM_BUFFER_BYTES: int(1_048_576, 1024),
  MCP_MAX_BUFFERED_BYTES_PER_KEY: int(8_388_608, 1024),
  MCP_MAX_IN_FLIGHT_PER_SESSION: int(16, 1),
  MCP_MAX_MODERN_IN_FLIGHT: int(1_000, 1),
  MCP_MAX_IN_FLIGHT_PER_KEY: int(100, 1),
  MCP_MAX_INPUT_BYTES: int(134_217_728, 65_536),
  MCP_MAX_INPUT_BYTES_PER_KEY: int(16_777_216, 65_536),
  MCP_MAX_JSON_DEPTH: int(64, 2),
  MCP_MAX_JSON_ELEMENTS: int(20_000, 10),
  MCP_HEAP_SHED_PERCENT: int(85, 20).pipe(z.number().max(98)),
  MCP_HEADERS_TIMEOUT_MS: int(10_000, 100),
  MCP_REQUEST_TIMEOUT_MS: int(15_000, 100),
  MCP_KEEP_ALIVE_TIMEOUT_MS: int(65_000, 100),
  MCP_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MCP_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value): boolean | string => (value === 'true' || value === 'false' ? value === 'true' : value)),
  MCP_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  MCP_PUBLIC_URL: z.url().optional(),
  MCP_PEER_PORT: int(3001).pipe(z.number().max(65535)),
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
  MCP_WEATHER_URL: z.url({ protocol: /^https?$/ }).default('https://api.open-meteo.com/v1/forecast'),
  MCP_WEATHER_TIMEOUT_MS: int(5_000, 100),
  MCP_FILES_ROOT: z.string().min(1).default('files'),
  MCP_FILES_MAX_BYTES: int(1_048_576, 1),
  MCP_MAX_PROFILES_PER_KEY: int(1_000, 1),
})

export type Config = ReturnType<typeof toConfig>

function toConfig(env: z.infer<typeof EnvSchema>, keys: ApiKey[]) {
  return {
    production: env.NODE_ENV === 'production',
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
    drainMs: env.MCP_DRAIN_MS,
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
    peerPort: env.MCP_PEER_PORT,
    peerAddress: env.MCP_PEER_ADDRESS,
    ecsMetadataUri: env.ECS_CONTAINER_METADATA_URI_V4,
    redisUrl: env.REDIS_URL,
    redisTimeoutMs: env.MCP_REDIS_TIMEOUT_MS,
    emf: env.MCP_EMF_NAMESPACE
      ? { namespace: env.MCP_EMF_NAMESPACE, serviceName: env.MCP_EMF_SERVICE_NAME, intervalMs: env.MCP_EMF_INTERVAL_MS }
      : undefined,
    weatherUrl: env.MCP_WEATHER_URL,
    weatherTimeoutMs: env.MCP_WEATHER_TIMEOUT_MS,
    filesRoot: env.MCP_FILES_ROOT,
    filesMaxBytes: env.MCP_FILES_MAX_BYTES,
    maxProfilesPerKey: env.MCP_MAX_PROFILES_PER_KEY,
  }
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

/** Reads and validates the whole configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { catalog, needsKeys = true }: LoadOptions = {}): Config {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))
  }
  const keys = readKeys(parsed.data, catalog)
  if (needsKeys && parsed.data.NODE_ENV === 'production' && keys.length === 0) {
    throw new ConfigError(['MCP_API_KEYS: no API keys configured; NODE_ENV=production refuses to start without MCP_API_KEYS or MCP_API_KEYS_FILE'])
  }
  return toConfig(parsed.data, keys)
}

function readKeys(env: z.infer<typeof EnvSchema>, catalog: CatalogNames | undefined): ApiKey[] {
  let source = 'MCP_API_KEYS'
  let text = env.MCP_API_KEYS ?? ''
  if (env.MCP_API_KEYS_FILE) {
    source = 'MCP_API_KEYS_FILE'
    try {
      text = readFileSync(env.MCP_API_KEYS_FILE, 'utf8')
    } catch (error) {
      throw new ConfigError([`MCP_API_KEYS_FILE: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`])
    }
  }
  let keys: ApiKey[]
  try {
    keys = parseApiKeys(text)
  } catch (error) {
    throw new ConfigError([`${source}: ${(error as Error).message}`])
  }
  if (catalog) {
    const problems = unknownAllowances(keys, catalog).map((problem) => `${source}: ${problem}`)
    if (problems.length > 0) throw new ConfigError(problems)
  }
  return keys
}
