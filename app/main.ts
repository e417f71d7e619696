import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError, loadConfig, type Config } from './config.js'
import { generateDevelopmentKey } from './keys.js'
import { catalogNames } from './mcp/catalog.js'
import { sdkSelfTest } from './self-test.js'
import { buildServer } from './server.js'
import { runStdio } from './stdio.js'

const FORCE_CLOSE_AFTER_MS = 1_000

const stdio = process.argv.includes('--stdio')

function configOrExit(): Config {
  try {
    return loadConfig(process.env, { catalog: catalogNames, needsKeys: !stdio })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(78)
  }
}

/** Printed once, on the terminal only (never through the logger): how to connect with the development key. */
function developmentBanner(config: Config, secret: string): string {
  const url = config.publicUrl ?? `http://localhost:${config.port}${config.basePath}`
  return [
    '',
    'No MCP_API_KEYS configured: using a development key for this run only.',
    `  server:  ${url}/sse  (legacy SSE)   ${url}/mcp  (Streamable HTTP)`,
    `  key:     ${secret}`,
    '  Inspector CLI:',
    `    npx @modelcontextprotocol/inspector@2.12.0 --cli ${url}/sse --transport sse --header "Authorization: Bearer ${secret}" --method tools/list`,
    '  Inspector UI:',
    `    npx @modelcontextprotocol/inspector@2.12.0 --transport sse --server-url ${url}/sse --header "Authorization: Bearer ${secret}"`,
    '',
  ].join('\n')
}

async function main() {
  let config = configOrExit()
  const sdkProblem = await sdkSelfTest(config)
  if (sdkProblem) {
    process.stderr.write(`SDK self-test failed (the installed @modelcontextprotocol/server does not work as this server uses it): ${sdkProblem}\n`)
    process.exit(78)
  }
  let devSecret: string | undefined
  if (config.keys.length === 0) {
    const dev = generateDevelopmentKey()
    config = { ...config, keys: [dev.key] }
    devSecret = dev.secret
  }
  const app = await buildServer(config)
  await app.listen({ port: config.port, host: config.host })
  if (devSecret) process.stdout.write(`${developmentBanner(config, devSecret)}\n`)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stopping = true
    // Readiness turns 503 at once; every session and MCP 2026-07-28 request keeps being served, new ones too,
    // since a Spot task may still be in the load balancer's pool (SessionRegistry.startDraining).
    app.sessions.startDraining()
    app.log.info({ signal, drainMs: config.drainMs, sessions: app.sessions.size, modernRequests: app.modernRequests.size }, 'draining')
    const deadline = Date.now() + config.drainMs
    while (app.sessions.size + app.modernRequests.size > 0 && Date.now() < deadline) await sleep(100)
    // Closing ends every stream cleanly; a connection that still lingers after that must not hold the exit
    // past ECS's stopTimeout.
    setTimeout(() => app.server.closeAllConnections(), FORCE_CLOSE_AFTER_MS).unref()
    await app.close()
    app.log.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', (signal) => void stop(signal))
  process.on('SIGINT', (signal) => void stop(signal))
}

if (stdio) await runStdio(configOrExit())
else await main()
