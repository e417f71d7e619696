import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { MAIN } from './processes.js'

const ROOT = new URL('../../', import.meta.url).pathname

function newestSource(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name)
    const time = entry.isDirectory() ? newestSource(path) : entry.name.endsWith('.ts') ? statSync(path).mtimeMs : 0
    return Math.max(newest, time)
  }, 0)
}

/**
 * Child-process tests run the compiled server (`node dist/app/main.js`), as production does. `npm test`
 * builds before any test; a test file run on its own builds here when dist/ is missing or older than app/.
 */
export function ensureBuilt(): void {
  const built = (() => {
    try {
      return statSync(MAIN).mtimeMs
    } catch {
      return 0
    }
  })()
  if (built >= newestSource(join(ROOT, 'app'))) return
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 })
  if (result.status !== 0) throw new Error('build failed: npx tsc -p tsconfig.json')
}
