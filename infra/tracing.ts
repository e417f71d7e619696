// Tracing on AWS (docs/operations.md "Seeing a call in X-Ray"): with `tracingEnabled`, each task runs the AWS
// Distro for OpenTelemetry (ADOT) collector beside the app. The app exports OTLP to it over the task's loopback,
// as the standard OTEL_* variables below tell it; the collector names the task (ECS resource detector), sends
// spans to X-Ray and turns metrics into CloudWatch metrics. With tracing off none of this is declared.
import type * as aws from '@pulumi/aws'
import { stringify } from 'yaml'
import type { InfraConfig } from './config'

export const COLLECTOR_NAME = 'aws-otel-collector'
/**
 * Pinned by its exact release tag: v0.49.0, the newest ADOT collector release (aws-observability/aws-otel-collector,
 * docs/releases/v0.49.0.md: OpenTelemetry Collector and Contrib v0.156.0), published as
 * public.ecr.aws/aws-observability/aws-otel-collector:<tag>. The configuration below uses only components that
 * release ships (README, "ADOT Collector Built-in Components").
 */
export const COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0'
/** The image's own user, `aoc` (cmd/awscollector/Dockerfile: USER_UID=4317): written out, the sidecar never runs as root. */
const COLLECTOR_USER = '4317'
/**
 * OTLP over HTTP only (the app exports http/protobuf), on the loopback: containers of an awsvpc task share one
 * network namespace, so the app reaches it and nothing outside the task does. gRPC (4317) would be a second open
 * port that nothing uses.
 */
export const OTLP_HTTP_ENDPOINT = '127.0.0.1:4318'
/**
 * A small share of the task's CPU for the collector; the app container then gets the rest explicitly, since a
 * container's `cpu` is its CPU *shares* (ECS API Reference, ContainerDefinition `cpu`: "maps to CpuShares … Linux
 * containers share unallocated CPU units with other containers … with the same ratio as their allocated
 * amount"; the kernel's minimum is 2): written out, the weights by which the two share a busy CPU are 64 to the rest
 * of the task, not left to whatever an unset value becomes.
 */
export const COLLECTOR_CPU = 64
/**
 * The collector's memory: a soft reservation, and the memory_limiter bound on its heap, so a burst of telemetry
 * (or X-Ray slowing down) cannot take memory the app needs; above the limit the collector refuses new data with a
 * retryable error instead of growing (memorylimiterprocessor).
 */
const COLLECTOR_MEMORY_RESERVATION_MIB = 128
const COLLECTOR_HEAP_LIMIT_MIB = 100
const COLLECTOR_HEAP_SPIKE_MIB = 20

/**
 * Span attributes the X-Ray exporter turns into annotations, which X-Ray indexes so the console can filter traces
 * by them (awsxrayexporter config.go, `indexed_attributes`, citing X-Ray Developer Guide "Concepts: annotations
 * and metadata"); names from the OpenTelemetry semantic conventions for MCP (semantic-conventions
 * docs/gen-ai/mcp.md). Everything else stays metadata, visible on the segment but not searchable.
 */
export const INDEXED_ATTRIBUTES = ['mcp.method.name', 'gen_ai.tool.name', 'mcp.session.id', 'error.type']

/** The variables the stack sets in the app container for tracing (./config.ts refuses them in toolSettings). */
export const TRACING_VARIABLES = ['OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'] as const
export type TracingEnvironment = Record<(typeof TRACING_VARIABLES)[number], string | undefined>

/**
 * The app's OTEL_* settings (OpenTelemetry SDK environment variables specification): all unset with tracing off,
 * so the app loads no exporter. `parentbased_traceidratio` keeps a caller's decision when a request carries a
 * `traceparent` and samples `tracingSampleRatio` of the traces that start here.
 */
export function tracingEnvironment(config: Pick<InfraConfig, 'tracingEnabled' | 'tracingSampleRatio'>, serviceName: string): TracingEnvironment {
  if (!config.tracingEnabled) return { OTEL_SERVICE_NAME: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_PROTOCOL: undefined, OTEL_TRACES_SAMPLER: undefined, OTEL_TRACES_SAMPLER_ARG: undefined }
  return {
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://${OTLP_HTTP_ENDPOINT}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(config.tracingSampleRatio),
  }
}

export interface CollectorInputs {
  region: string
  /** The app's service name: the metrics' ServiceName dimension, as on the app's own EMF metrics. */
  serviceName: string
  /** CloudWatch namespace of the metrics (the app's `emfNamespace`). */
  namespace: string
}

/**
 * The collector's pipelines. Traces: OTLP → memory_limiter → resourcedetection (`ecs`: cloud.*, aws.ecs.cluster.arn,
 * aws.ecs.task.arn, .family, .revision, .id, launch type and the app's log group, read from the task metadata
 * endpoint; opentelemetry-collector-contrib processor/resourcedetectionprocessor/internal/aws/ecs/ecs.go) →
 * batch → awsxray. `override: false` keeps what the app says about itself. The exporter accepts the SDK's random
 * W3C trace IDs as they are (feature gate exporter.awsxray.skiptimestampvalidation, beta, so on by default), so the
 * app needs no X-Ray ID generator, and it sends no telemetry records (`telemetry.enabled` defaults to false).
 *
 * Metrics: OTLP → memory_limiter → the ServiceName dimension → batch → awsemf written to **stdout**, which the
 * sidecar's awslogs driver ships to the log group, where CloudWatch extracts Embedded Metric Format lines into
 * metrics: the path the app's own metrics already take, with no CloudWatch or Logs permission on the task role
 * (awsemfexporter README, `output_destination`: "cloudwatch" or "stdout"). Chosen over CloudWatch's OTLP metrics
 * endpoint (https://monitoring.<region>.amazonaws.com/v1/metrics; CloudWatch User Guide, "Send metrics using
 * OpenTelemetry"), which needs OpenTelemetry metrics ingestion enabled for the account, a SigV4 signing extension
 * and a permission on the task role, in the Regions that offer it, and keeps its metrics apart, queried with PromQL
 * ("Query metrics with PromQL"); EMF lines become the same classic metrics this stack's dashboard, alarms and
 * autoscaling already read. NoDimensionRollup: one metric per attribute set, not the extra roll-ups every custom
 * metric of which is billed.
 *
 * Both exporters are told the region: without it they look in the environment and EC2 instance metadata and fail to
 * start when neither has one (opentelemetry-collector-contrib internal/aws/awsutil/conn.go, GetAWSConfig).
 */
export function collectorConfig(inputs: CollectorInputs): Record<string, unknown> {
  return {
    receivers: { otlp: { protocols: { http: { endpoint: OTLP_HTTP_ENDPOINT } } } },
    processors: {
      memory_limiter: { check_interval: '1s', limit_mib: COLLECTOR_HEAP_LIMIT_MIB, spike_limit_mib: COLLECTOR_HEAP_SPIKE_MIB },
      resourcedetection: { detectors: ['ecs'], override: false },
      'attributes/service': { actions: [{ key: 'ServiceName', value: inputs.serviceName, action: 'upsert' }] },
      batch: {},
    },
    exporters: {
      awsxray: { region: inputs.region, indexed_attributes: INDEXED_ATTRIBUTES },
      awsemf: { region: inputs.region, namespace: inputs.namespace, output_destination: 'stdout', dimension_rollup_option: 'NoDimensionRollup' },
    },
    service: {
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['memory_limiter', 'resourcedetection', 'batch'], exporters: ['awsxray'] },
        metrics: { receivers: ['otlp'], processors: ['memory_limiter', 'attributes/service', 'batch'], exporters: ['awsemf'] },
      },
    },
  }
}

/**
 * The sidecar. Not essential: if it stops, the task and the app keep running (and ECS restarts it, below); and the
 * app does not depend on it, so the app starts whether or not the collector's image can be pulled. The price of
 * no dependency: ECS orders a task's shutdown only along container dependencies ("When a dependency is defined for
 * container startup, for container shutdown it is reversed", ECS API Reference, ContainerDependency), so the
 * collector may stop while the app drains, and spans of the drain can be lost.
 *
 * Its configuration travels inline in AOT_CONFIG_CONTENT: when that variable is set, the ADOT collector reads its
 * configuration from it instead of the file named on its command line (aws-otel-collector pkg/config/config_factory.go,
 * GetConfigProviderSettings: "aws-otel-collector supports loading yaml config from Env Var including SSM parameter
 * store for ECS use case"; its ECS template deployment-template/ecs/aws-otel-container-insights-prometheus-ec2-deployment-cfn.yaml
 * passes it the same way, from an SSM parameter). Inline, the configuration is part of the task definition and
 * changes with it.
 * Read-only root filesystem: in a container (the image sets RUN_IN_CONTAINER=True) the collector logs to stderr and
 * writes no file (pkg/logger/logger.go).
 */
export function collectorContainer(inputs: CollectorInputs, logConfiguration: aws.ecs.LogConfiguration): aws.ecs.ContainerDefinition {
  return {
    name: COLLECTOR_NAME,
    image: COLLECTOR_IMAGE,
    essential: false,
    user: COLLECTOR_USER,
    readonlyRootFilesystem: true,
    cpu: COLLECTOR_CPU,
    memoryReservation: COLLECTOR_MEMORY_RESERVATION_MIB,
    environment: [{ name: 'AOT_CONFIG_CONTENT', value: stringify(collectorConfig(inputs)) }],
    // A crashed collector comes back without replacing the task, at most once a minute, the shortest period ECS
    // takes (ECS API Reference, ContainerRestartPolicy: restartAttemptPeriod 60 to 1800 s).
    restartPolicy: { enabled: true, restartAttemptPeriod: 60 },
    logConfiguration,
  }
}

/**
 * What the collector may do in AWS: put trace segments, nothing else. AWSXrayWriteOnlyAccess adds
 * PutTelemetryRecords and GetSamplingRules/Targets/StatisticSummaries, which serve the exporter's optional
 * telemetry (off) and X-Ray's remote sampling (not used: the app's SDK samples). PutTraceSegments has no
 * resource-level permissions (Service Authorization Reference, AWS X-Ray: no resource type), hence "*". Metrics
 * leave through stdout and the execution role's log permissions, so the task role needs nothing for them.
 */
export const COLLECTOR_POLICY_STATEMENTS = [{ Effect: 'Allow', Action: ['xray:PutTraceSegments'], Resource: '*' }]
