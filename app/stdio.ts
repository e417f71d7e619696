import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio'
import { InMemoryServerEventBus } from '@modelcontextprotocol/server'
import type { Config } from './config.js'
import { Metrics } from './http/metrics.js'
import type { ApiKey } from './keys.js'
import { loadCatalog } from './mcp/catalog.js'
import type { Services } from './mcp/context.js'
import { MemoryProfileStore } from './mcp/profiles.js'
import { createMcpServer } from './mcp/server.js'
import { REDACTED_PATHS } from './server.js'

/** The local user of a stdio server: the one who started it, so there is no key to check. */
const LOCAL_PRINCIPAL: ApiKey = { name: 'local', digest: Buffer.alloc(0) }

/**
 * `npm start -- --stdio`: the same catalog as one MCP session over stdin/stdout, for local clients such as
 * Claude Desktop. stdout carries the protocol and nothing else, so every log line goes to stderr.
 */
export async function runStdio(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.destination(2))
  const services: Services = {
    config,
    metrics: new Metrics(),
    profiles: new MemoryProfileStore(config.maxProfilesPerKey),
    audit: log.child({}, { level: 'info' }),
    tracing: undefined,
    // One session on stdio: its changes reach only itself.
    changes: new InMemoryServerEventBus(),
  }
  const sessionId = `stdio-${randomUUID()}`
  const server = createMcpServer(await loadCatalog(config), { principal: LOCAL_PRINCIPAL, sessionId, log: log.child({ session: sessionId }), services })

  const stop = async (reason: string) => {
    log.info({ reason }, 'stdio session ending')
    await server.close()
    process.exit(0)
  }
  // The client ends the session by closing our stdin (the SDK's stdio transport does not watch for that).
  process.stdin.once('end', () => void stop('stdin closed'))
  process.once('SIGTERM', () => void stop('SIGTERM'))
  process.once('SIGINT', () => void stop('SIGINT'))
  await server.connect(new StdioServerTransport())
  log.info({ event: 'session_opened', transport: 'stdio' }, 'stdio session open')
}
