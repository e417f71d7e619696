import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'

/**
 * Publishes the clients a task is serving as a CloudWatch Embedded Metric Format log line, so the service can
 * autoscale on them per task without an agent or an API call: CloudWatch Logs turns the line into the
 * metric `OpenSessions` in MCP_EMF_NAMESPACE, dimension ServiceName. It counts open sessions and MCP 2026-07-28
 * requests in flight (which hold no session but a client all the same), so scaling, the alarm and the
 * dashboard see both eras; `ModernRequestsInFlight` is the second part alone.
 */
export default fp(async function emf(app: FastifyInstance, { emf }: { emf: NonNullable<Config['emf']> }) {
  // Written at info whatever LOG_LEVEL says: autoscaling, the sessions alarm and the dashboard read this line,
  // and `warn` must not blind them. A child logger with its own level (pino) keeps the line at info, so error
  // alerting never sees it.
  const metricsLog = app.log.child({}, { level: 'info' })
  const publish = () =>
    metricsLog.info(
      {
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            {
              Namespace: emf.namespace,
              Dimensions: [['ServiceName']],
              Metrics: [
                { Name: 'OpenSessions', Unit: 'Count' },
                { Name: 'ModernRequestsInFlight', Unit: 'Count' },
              ],
            },
          ],
        },
        ServiceName: emf.serviceName,
        OpenSessions: app.sessions.size + app.modernRequests.size,
        ModernRequestsInFlight: app.modernRequests.size,
      },
      'open sessions',
    )
  const timer = setInterval(publish, emf.intervalMs).unref()
  app.addHook('onClose', async () => clearInterval(timer))
})
