// The app's own CloudWatch metric: each task writes its open-session count to stdout every 60 s in embedded
// metric format (namespace MCP_EMF_NAMESPACE, dimension ServiceName = MCP_EMF_SERVICE_NAME), which
// CloudWatch Logs turns into this metric. Scaling and alarms read it through here.
export const OPEN_SESSIONS_METRIC = 'OpenSessions'
export const METRIC_PERIOD_SECONDS = 60

export function openSessionsDimensions(label: string): Record<string, string> {
  return { ServiceName: label }
}
