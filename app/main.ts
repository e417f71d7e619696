import { setTimeout as sleep } from 'node:timers/promises'
import { configOrExit, developmentBanner, exitWithProblems, helpText, listenOrExit, readArguments } from './cli.js'
import { ConfigError } from './config.js'
import { generateDevelopmentKey } from './keys.js'
import { sdkSelfTest } from './self-test.js'
import { buildServer } from './server.js'
import { runStdio } from './stdio.js'

const FORCE_CLOSE_AFTER_MS = 1_000

const invocation = readArguments(process.argv.slice(2))

async function main() {
  let config = configOrExit(invocation, process.env)
  const sdkProblem = await sdkSelfTest(config)
  if (sdkProblem) {
    process.stderr.write(`SDK self-test failed (the installed @modelcontextprotocol/server does not work as this server uses it): ${sdkProblem}\n`)
    process.exit(78)
  }
  let devSecret: string | undefined
  // Outside production only: production without keys runs on OAuth alone (the configuration allows nothing else).
  if (config.keys.length === 0 && !config.production) {
    const dev = generateDevelopmentKey(config.devKey)
    config = { ...config, keys: [dev.key] }
    devSecret = dev.secret
  }
  // A setting that only proves wrong when used (an OAuth issuer without metadata) is a start-up problem too.
  const app = await buildServer(config).catch((error: unknown) => (error instanceof ConfigError ? exitWithProblems(error.problems) : Promise.reject(error)))
  await listenOrExit(app, config)
  if (devSecret) process.stdout.write(`${developmentBanner(config, devSecret, config.devKey === undefined)}\n`)

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
    if (!config.production) process.stderr.write(`Stopping: open sessions get up to ${config.drainMs / 1000} s (MCP_DRAIN_MS); press Ctrl-C again to stop now.\n`)
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

if (invocation.help) process.stdout.write(helpText())
else if (invocation.stdio) await runStdio(configOrExit(invocation, process.env))
else await main()
