import { eventually, freePort } from '../helpers/processes.js'
import type { Engine } from './engine.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Every image and container a run creates carries this run's name, and is removed by name when it ends. */
const RUN_NAME = `mcp-fargate-server-test-${process.pid}`

/**
 * Builds an image from the repository as it is (with its .dockerignore), from the root Dockerfile or `dockerfile`;
 * removed when `t` ends. Fails the caller with the build log.
 */
export async function buildImage(t: Teardown, engine: Engine, { name = 'app', dockerfile }: { name?: string; dockerfile?: string } = {}): Promise<string> {
  const image = `localhost/${RUN_NAME}-${name}:latest`
  t.teardown(() => engine.cli(['rmi', '--force', image]))
  const file = dockerfile === undefined ? [] : ['--file', dockerfile]
  const build = await engine.cli(['build', ...engine.buildFlags, ...file, '--tag', image, '.'], { timeoutMs: 20 * 60_000 })
  if (build.status !== 0) throw new Error(`image build failed (exit ${build.status}):\n${build.stdout}\n${build.stderr}`)
  return image
}

export interface ContainerOptions {
  /** Variables set in the container. Passed by name (`-e NAME`) so values such as keys stay off command lines. */
  env?: Record<string, string>
  /** Extra `run` flags, e.g. `--read-only`. */
  flags?: string[]
}

export interface Container {
  name: string
  port: number
  url: string
  /** stdout and stderr the container has written so far. */
  logs(): Promise<string>
  exitCode(): Promise<string>
}

let containers = 0
const containerName = () => `${RUN_NAME}-${++containers}`

/** Runs a shell command in a fresh container of `image` and returns its output; removed by name when `t` ends. */
export function runInImage(t: Teardown, engine: Engine, image: string, command: string) {
  const name = containerName()
  t.teardown(() => engine.cli(['rm', '--force', name]))
  return engine.cli(['run', '--rm', '--pull=never', '--name', name, image, 'sh', '-c', command])
}

/**
 * Starts a container of `image` on the host network, its server and peer listeners on free ports; removed by
 * name when `t` ends.
 */
export async function startContainer(t: Teardown, engine: Engine, image: string, { env = {}, flags = [] }: ContainerOptions = {}): Promise<Container> {
  const name = containerName()
  const port = await freePort()
  const variables = { ...env, PORT: String(port), MCP_PEER_PORT: String(await freePort()) }
  t.teardown(() => engine.cli(['rm', '--force', name]))
  const passEnv = Object.keys(variables).flatMap((variable) => ['--env', variable])
  const started = await engine.cli(['run', '--detach', '--pull=never', '--name', name, '--network', 'host', ...passEnv, ...flags, image], { env: variables })
  if (started.status !== 0) throw new Error(`container did not start: ${started.stderr}`)
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    logs: async () => {
      const { stdout, stderr } = await engine.cli(['logs', name])
      return `${stdout}${stderr}`
    },
    exitCode: async () => (await engine.cli(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout.trim(),
  }
}

/** True once `path` answers `status` (polled, bounded: 30 s); a refused connection counts as not yet. */
export function answers(url: string, path: string, status: number): Promise<boolean> {
  return eventually(async () => (await fetch(`${url}${path}`).catch(() => undefined))?.status === status, 30_000)
}
