// The task's containers. The app's: hardening (non-root, read-only root filesystem, init process), the
// environment the app reads, and its secrets as references to Secrets Manager; then the tools' own settings and
// secrets from the stack configuration (`toolSettings`, `toolSecrets`). With tracing, the collector beside it
// (./tracing.ts).
import type * as aws from '@pulumi/aws'
import type { InfraConfig, StackSetVariable } from './config'
import { HEALTH_CHECK } from './load-balancer'
import type { OAuthEnvironment } from './oauth'
import { COLLECTOR_CPU, COLLECTOR_NAME, collectorContainer, tracingEnvironment } from './tracing'

export const CONTAINER_NAME = 'mcp'
export const SCRATCH_VOLUME = 'tmp'
const APP_USER = '1000'
// The app's keep-alive must outlast the ALB's idle timeout, or the ALB reuses a socket the app just closed (502).
const KEEP_ALIVE_MARGIN_MS = 5_000
/**
 * awslogs in non-blocking mode: when CloudWatch Logs is slow, lines wait in this buffer (and the oldest are
 * dropped once it is full) instead of blocking the app's writes to stdout, which would stall every request.
 */
export const LOG_BUFFER = '25m'
/**
 * V8's old space as a share of the task's memory: half, what V8 itself picks for a machine of that size
 * (v8 src/heap/heap.cc Heap::HeapSizeFromPhysicalMemory: memory / kPhysicalMemoryToOldGenerationRatio (4) ×
 * kHeapLimitMultiplier (2 on 64-bit)). Node would derive it from the cgroup limit when it sees one
 * (nodejs/node#27508); written out, the heap fits the task whatever the container runtime shows. Garbage (a
 * never-reading client's answers, built and dropped) is then collected long before the task's memory is
 * reached; with a host-sized heap (4 GiB) V8 lets it grow to several times the live heap first.
 */
const HEAP_SHARE_OF_TASK_MEMORY = 2

export interface ContainerInputs {
  config: InfraConfig
  image: string
  region: string
  logGroupName: string
  publicUrl: string
  apiKeysSecretArn: string
  sessionSecretArn: string
  /** Dimension value of the app's CloudWatch metrics (EMF), shared with scaling and alarms. */
  metricsServiceName: string
  /** The secret holding REDIS_URL (with the cache's AUTH token), when the stack has a cache. */
  redisUrlSecretArn?: string
  /** Address ranges whose X-Forwarded-For entries the app believes (MCP_TRUST_PROXY). */
  trustedProxies: string[]
  /** The MCP_OAUTH_* settings (./oauth.ts, oauthEnvironment): all unset without OAuth. */
  oauth: OAuthEnvironment
}

type StackSecret = Extract<StackSetVariable, 'MCP_API_KEYS' | 'MCP_SESSION_SECRET' | 'REDIS_URL'>
type Env = Record<Exclude<StackSetVariable, StackSecret>, string | number | undefined>

export function appEnvironment(inputs: ContainerInputs): Env {
  const { config } = inputs
  return {
    NODE_ENV: 'production',
    NODE_OPTIONS: `--max-old-space-size=${Math.floor(config.memory / HEAP_SHARE_OF_TASK_MEMORY)}`,
    PORT: config.containerPort,
    MCP_PEER_PORT: config.peerPort,
    MCP_BASE_PATH: config.basePath || undefined,
    LOG_LEVEL: config.logLevel,
    MCP_PUBLIC_URL: inputs.publicUrl,
    MCP_TRUST_PROXY: inputs.trustedProxies.join(','),
    MCP_ALLOWED_ORIGINS: config.allowedOrigins.join(',') || undefined,
    MCP_HEARTBEAT_MS: config.heartbeatMs,
    MCP_DRAIN_MS: config.drainMs,
    MCP_KEEP_ALIVE_TIMEOUT_MS: config.idleTimeoutSeconds * 1000 + KEEP_ALIVE_MARGIN_MS,
    MCP_MAX_SESSIONS: config.maxSessionsPerTask,
    MCP_MAX_SESSIONS_PER_KEY: config.maxSessionsPerKey,
    MCP_EMF_NAMESPACE: config.emfNamespace,
    MCP_EMF_SERVICE_NAME: inputs.metricsServiceName,
    ...inputs.oauth,
    ...tracingEnvironment(config, inputs.metricsServiceName),
  }
}

/** The secret an ECS secret reference names (a reference may add `:json-key:version-stage:version-id`), for IAM. */
export function secretArnOf(reference: string): string {
  return reference.split(':').slice(0, 7).join(':')
}

/** The container's secrets: the app's own, then each of `toolSecrets` under its variable name. */
export function appSecrets(inputs: ContainerInputs): aws.ecs.Secret[] {
  const own: Record<StackSecret, string | undefined> = {
    MCP_API_KEYS: inputs.apiKeysSecretArn,
    MCP_SESSION_SECRET: inputs.sessionSecretArn,
    REDIS_URL: inputs.redisUrlSecretArn,
  }
  return Object.entries({ ...own, ...inputs.config.toolSecrets })
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, valueFrom]) => ({ name, valueFrom }))
}

/** The task's containers: the app, and with tracing the collector. */
export function taskContainers(inputs: ContainerInputs): aws.ecs.ContainerDefinition[] {
  const app = containerDefinition(inputs)
  if (!inputs.config.tracingEnabled) return [app]
  const collectorInputs = { region: inputs.region, serviceName: inputs.metricsServiceName, namespace: inputs.config.emfNamespace }
  return [app, collectorContainer(collectorInputs, awslogs(inputs, COLLECTOR_NAME))]
}

/** A container's log configuration: the stack's log group, streams named after the container, non-blocking. */
function awslogs(inputs: ContainerInputs, streamPrefix: string): aws.ecs.LogConfiguration {
  return {
    logDriver: 'awslogs',
    options: {
      'awslogs-group': inputs.logGroupName,
      'awslogs-region': inputs.region,
      'awslogs-stream-prefix': streamPrefix,
      mode: 'non-blocking',
      'max-buffer-size': LOG_BUFFER,
    },
  }
}

function containerDefinition(inputs: ContainerInputs): aws.ecs.ContainerDefinition {
  const { config } = inputs
  const environment = Object.entries({ ...appEnvironment(inputs), ...config.toolSettings })
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }))
  return {
    name: CONTAINER_NAME,
    image: inputs.image,
    essential: true,
    // Beside the collector, the app's CPU shares are the rest of the task's (./tracing.ts, COLLECTOR_CPU).
    ...(config.tracingEnabled && { cpu: config.cpu - COLLECTOR_CPU }),
    user: APP_USER,
    readonlyRootFilesystem: true,
    // tini as PID 1 forwards SIGTERM to node and reaps zombies, so the drain starts on the first signal.
    linuxParameters: { initProcessEnabled: true },
    stopTimeout: config.stopTimeoutSeconds,
    portMappings: [
      { containerPort: config.containerPort, protocol: 'tcp', name: 'http' },
      { containerPort: config.peerPort, protocol: 'tcp', name: 'peer' },
    ],
    environment,
    secrets: appSecrets(inputs),
    // The only writable place: a task bind mount at /tmp. A plain one is root-owned 0755 on Fargate; because the
    // image declares `VOLUME /tmp`, ECS copies the image's /tmp (mode 1777) into it (ECS Developer Guide, "Use
    // bind mounts with Amazon ECS": the data in the VOLUME path is copied to the data volume), so uid 1000 writes.
    mountPoints: [{ sourceVolume: SCRATCH_VOLUME, containerPath: '/tmp', readOnly: false }],
    // ECS ignores the image's HEALTHCHECK; this one replaces it, on /health (liveness) like the ALB's: /ready
    // turns 503 while draining, full or without Redis, and must never make ECS replace a task.
    healthCheck: {
      command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${config.containerPort}${config.basePath}${HEALTH_CHECK.path}', { signal: AbortSignal.timeout(${(HEALTH_CHECK.timeoutSeconds - 1) * 1000}) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
      interval: HEALTH_CHECK.intervalSeconds,
      timeout: HEALTH_CHECK.timeoutSeconds,
      retries: 3,
      startPeriod: 10,
    },
    logConfiguration: awslogs(inputs, CONTAINER_NAME),
  }
}
