// The built handler under the stand-in of Lambda's streaming runtime (bench/servers/lambda-stand-in.ts), behind
// its function URL shim on a random loopback port: what the Lambda tests share.
import { join } from 'node:path'
import { ensureBuilt } from '../helpers/build.js'
import type { Tap } from '../helpers/http.js'
import { eventually, freePort, spawnChild, type Child } from '../helpers/processes.js'
import { KEYS } from '../helpers/server.js'

export const ROOT = new URL('../../', import.meta.url).pathname
export const HANDLER = join(ROOT, 'dist/app/lambda.js')
/** What the stack deploys: the same handler bundled into one file (scripts/build-lambda.mjs). */
export const BUNDLE = join(ROOT, '.build/lambda.bundle/index.mjs')
export const STAND_IN = join(ROOT, 'dist/bench/servers/lambda-stand-in.js')
export const MODERN = '2026-07-28'
export const CAROL = 'carol-secret-0123456789ab'
export const SESSION_URL = 'https://sessions.example.com/team'

ensureBuilt()

export interface Instance {
  child: Child
  url: string
  /** The stand-in's own lines (init, one report per invocation, errors such as "Task timed out"). */
  runtime(): Record<string, unknown>[]
  /** The app's log lines (JSON, stdout). */
  logs(): Record<string, unknown>[]
}

const lines = (text: string, keep: (record: Record<string, unknown>) => boolean) =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter(keep)

/**
 * The built handler, loaded by the stand-in runtime as Lambda loads it, behind its function URL shim (or, with
 * `front` 'rest-api', behind a streaming REST API's). `env` may be made from the URL the shim will serve on
 * (what MCP_PUBLIC_URL must name with OAuth on).
 */
export async function startFunction(
  t: Tap,
  env: Record<string, string> | ((url: string) => Record<string, string>) = {},
  timeoutMs = 30_000,
  handler = HANDLER,
  front: 'function-url' | 'rest-api' = 'function-url',
): Promise<Instance> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawnChild(t, process.execPath, [STAND_IN, handler, '--port', String(port), '--timeout-ms', String(timeoutMs), '--front', front], {
    NODE_ENV: 'production',
    MCP_API_KEYS: `${KEYS},carol:${CAROL}:tools=add|whoami`,
    MCP_SESSION_URL: SESSION_URL,
    LOG_LEVEL: 'info',
    ...(typeof env === 'function' ? env(url) : env),
  })
  const instance: Instance = {
    child,
    url,
    runtime: () => lines(child.output, (record) => 'standIn' in record),
    logs: () => lines(child.output, (record) => !('standIn' in record)),
  }
  const ready = await eventually(() => instance.runtime().some((record) => record.standIn === 'init') || !child.running, 30_000)
  if (!ready || !child.running) throw new Error(`the function did not start:\n${child.output}`)
  return instance
}

/** The stand-in ran every invocation to its end: none failed, none was cut by the function timeout. */
export function noRuntimeErrors(t: Tap, instance: Instance) {
  t.same(
    instance.runtime().filter((record) => record.standIn === 'error'),
    [],
    'no invocation failed or timed out in the runtime',
  )
}

