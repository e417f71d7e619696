import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

/** The repository root: the image's build context. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CONTAINER_ENV = fileURLToPath(new URL('../../../shared/tools/container-env.sh', import.meta.url))

export interface Result {
  status: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
}

/** Runs a program to its end (killed at its time limit) and never throws: the caller judges the exit status. */
export function run(command: string, args: string[], { env = process.env, timeoutMs = 120_000 }: RunOptions = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', (error) => resolve({ status: null, stdout, stderr: `${stderr}${error.message}` }))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

export interface Engine {
  name: 'docker' | 'podman'
  /** Runs the engine's CLI; `env` adds variables (e.g. a secret passed on with `-e NAME`, never on the command line). */
  cli(args: string[], options?: RunOptions): Promise<Result>
  /** Flags that make `build` use only local base images and keep the HEALTHCHECK. */
  buildFlags: string[]
  /** Runs the image's HEALTHCHECK once in a running container: true when it passes. */
  healthcheck(container: string): Promise<boolean>
}

export type EngineChoice = { engine: Engine } | { skip: string }

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? ''

type Healthcheck = (cli: Engine['cli'], container: string) => Promise<boolean>

function makeEngine(name: Engine['name'], env: NodeJS.ProcessEnv, buildFlags: string[], healthcheck: Healthcheck): Engine {
  const cli: Engine['cli'] = (args, options = {}) => run(name, args, { timeoutMs: options.timeoutMs, env: { ...env, ...options.env } })
  return { name, cli, buildFlags, healthcheck: (container) => healthcheck(cli, container) }
}

const podmanHealthcheck: Healthcheck = async (cli, container) => (await cli(['healthcheck', 'run', container])).status === 0

/** Docker has no "run the check now": wait (bounded) until its own schedule has judged the container. */
const dockerHealthcheck: Healthcheck = async (cli, container) => {
  for (let attempt = 0; attempt < 90; attempt++) {
    const status = (await cli(['inspect', '--format', '{{.State.Health.Status}}', container])).stdout.trim()
    if (status !== 'starting') return status === 'healthy'
    await sleep(1000)
  }
  return false
}

/** The `node:<tag>` base images the Dockerfile names, so the podman stand-ins match it. */
function dockerfileNodeTags(): string[] {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')
  return [...new Set([...dockerfile.matchAll(/^FROM\s+node:(\S+)/gim)].map((match) => match[1]))]
}

/**
 * A working Docker engine first; otherwise podman configured by ../shared/tools/container-env.sh (its setup
 * can take minutes on a fresh machine); otherwise the reason the container tests cannot run here.
 */
export async function findEngine(): Promise<EngineChoice> {
  const docker = await run('docker', ['info'], { timeoutMs: 30_000 })
  if (docker.status === 0) return { engine: makeEngine('docker', process.env, [], dockerHealthcheck) }
  const noDocker = `no working Docker engine (${lastLine(docker.stderr) || `docker info exited ${docker.status}`})`
  if (!existsSync(CONTAINER_ENV)) return { skip: `${noDocker} and no ${CONTAINER_ENV}` }

  const check = await run(CONTAINER_ENV, ['check'])
  if (check.status !== 0 && check.status !== 2) return { skip: `${noDocker}; podman cannot run here: ${lastLine(check.stderr)}` }
  const setup = await run(CONTAINER_ENV, ['setup', ...dockerfileNodeTags()], { timeoutMs: 20 * 60_000 })
  if (setup.status !== 0) return { skip: `${noDocker}; container-env.sh setup failed: ${lastLine(setup.stderr)}` }
  const variables = setup.stdout.trim().replace(/^export /, '').split(' ').map((pair) => pair.split('='))
  return { engine: makeEngine('podman', { ...process.env, ...Object.fromEntries(variables) }, ['--pull=never', '--format', 'docker'], podmanHealthcheck) }
}
