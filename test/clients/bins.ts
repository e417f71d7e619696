import { join } from 'node:path'

const ROOT = new URL('../../', import.meta.url).pathname

/**
 * The path of a devDependency's bin, the file `npx <name>` runs. Tests run it under node directly: npx's
 * wrappers do not pass SIGTERM on, so the PID a test stops must be the client's own.
 */
export function devDependencyBin(name: string): string {
  return join(ROOT, 'node_modules/.bin', name)
}
