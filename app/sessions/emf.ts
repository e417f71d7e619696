import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'

/**
 * Publishes the open-session count as a CloudWatch Embedded Metric Format log line, so the service can
 * autoscale on sessions per task without an agent or an API call: CloudWatch Logs turns the line into the
 * metric `OpenSessions` in MCP_EMF_NAMESPACE, dimension ServiceName.
 */
export default fp(async function emf(app: FastifyInstance, { emf }: { emf: NonNullable<Config['emf']> }) {
  const publish = () =>
    app.log.info(
      {
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [{ Namespace: emf.namespace, Dimensions: [['ServiceName']], Metrics: [{ Name: 'OpenSessions', Unit: 'Count' }] }],
        },
        ServiceName: emf.serviceName,
        OpenSessions: app.sessions.size,
      },
      'open sessions',
    )
  const timer = setInterval(publish, emf.intervalMs).unref()
  app.addHook('onClose', async () => clearInterval(timer))
})
