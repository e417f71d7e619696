// The app container's definition: hardening (non-root, read-only root filesystem, init process), the
// environment the app reads (README "Settings"), and its secrets as references to Secrets Manager.
import type * as aws from '@pulumi/aws'
import type { InfraConfig } from './config'

export const CONTAINER_NAME = 'mcp'
export const SCRATCH_VOLUME = 'tmp'
const APP_USER = '1000'
// The app's keep-alive must outlast the ALB's idle timeout, or the ALB reuses a socket the app just closed (502).
const KEEP_ALIVE_MARGIN_MS = 5_000

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
  redisUrl?: string
}

type Env = Record<string, string | number | undefined>

export function appEnvironment(inputs: ContainerInputs): Env {
  const { config } = inputs
  return {
    NODE_ENV: 'production',
    PORT: config.containerPort,
    MCP_PEER_PORT: config.peerPort,
    MCP_BASE_PATH: config.basePath || undefined,
    LOG_LEVEL: config.logLevel,
    MCP_PUBLIC_URL: inputs.publicUrl,
    // Client addresses come from the X-Forwarded-For entry the ALB (inside the VPC) appended, not from
    // whatever a client put in front of it.
    MCP_TRUST_PROXY: config.vpcCidr,
    MCP_ALLOWED_ORIGINS: config.allowedOrigins.join(',') || undefined,
    MCP_HEARTBEAT_MS: config.heartbeatMs,
    MCP_DRAIN_MS: config.drainMs,
    MCP_KEEP_ALIVE_TIMEOUT_MS: config.idleTimeoutSeconds * 1000 + KEEP_ALIVE_MARGIN_MS,
    MCP_MAX_SESSIONS: config.maxSessionsPerTask,
    MCP_MAX_SESSIONS_PER_KEY: config.maxSessionsPerKey,
    MCP_EMF_NAMESPACE: config.emfNamespace,
    MCP_EMF_SERVICE_NAME: inputs.metricsServiceName,
    REDIS_URL: inputs.redisUrl,
  }
}

export function containerDefinition(inputs: ContainerInputs): aws.ecs.ContainerDefinition {
  const { config } = inputs
  const environment = Object.entries(appEnvironment(inputs))
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }))
  return {
    name: CONTAINER_NAME,
    image: inputs.image,
    essential: true,
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
    secrets: [
      { name: 'MCP_API_KEYS', valueFrom: inputs.apiKeysSecretArn },
      { name: 'MCP_SESSION_SECRET', valueFrom: inputs.sessionSecretArn },
    ],
    // The only writable place: a task-local scratch volume for libraries that insist on a temp dir.
    mountPoints: [{ sourceVolume: SCRATCH_VOLUME, containerPath: '/tmp', readOnly: false }],
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': inputs.logGroupName, 'awslogs-region': inputs.region, 'awslogs-stream-prefix': CONTAINER_NAME },
    },
  }
}
