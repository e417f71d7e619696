// What scaling, alarms and the dashboard read in common. The app's own metric: each task writes its open-session
// count to stdout every 60 s in embedded metric format (namespace MCP_EMF_NAMESPACE, dimension ServiceName =
// MCP_EMF_SERVICE_NAME), which CloudWatch Logs turns into the OpenSessions metric.
import type { InfraConfig } from './config'

export const OPEN_SESSIONS_METRIC = 'OpenSessions'
export const METRIC_PERIOD_SECONDS = 60
/** 5xx answers are counted over this period, against the `http5xxAlarmCount` threshold. */
export const HTTP_5XX_PERIOD_SECONDS = 300

export function openSessionsDimensions(label: string): Record<string, string> {
  return { ServiceName: label }
}

/** Open sessions of one task at which the sessions alarm fires (the dashboard draws the same line). */
export function sessionsAlarmThreshold(config: InfraConfig): number {
  return Math.floor((config.maxSessionsPerTask * config.sessionsAlarmPercent) / 100)
}
