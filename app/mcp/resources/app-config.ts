// EXAMPLE resource: how to remove it is in docs/tools.md, "The examples".
import { defineResource } from '../define-resource.js'

/** An allow-list as the caller sees it: its names, or `all` for a key without one. */
const listed = (allowed: ReadonlySet<string> | undefined) => (allowed ? [...allowed] : 'all')

export default defineResource({
  name: 'app-config',
  title: 'Server configuration',
  description: 'The runtime limits and settings of this server that a client may rely on. Holds no secrets.',
  mimeType: 'application/json',
  uri: 'config://app',
  async read(uri, _variables, { services, principal }) {
    const { config } = services
    // Listed field by field, never the whole object: a new setting (maybe a secret) stays out until named
    // here. Upstream URLs and the file root stay out too (a URL may carry an API key in its query).
    const visible = {
      basePath: config.basePath,
      heartbeatMs: config.heartbeatMs,
      maxBodyBytes: config.maxBodyBytes,
      rateLimitPerMin: config.rateLimitPerMin,
      maxSessionsPerKey: config.maxSessionsPerKey,
      sessionIdleMs: config.sessionIdleMs,
      weatherTimeoutMs: config.weatherTimeoutMs,
      filesMaxBytes: config.filesMaxBytes,
      caller: {
        principal: principal.name,
        allowedTools: listed(principal.allowedTools),
        allowedPrompts: listed(principal.allowedPrompts),
        allowedResources: listed(principal.allowedResources),
      },
    }
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(visible, null, 2) }] }
  },
})
