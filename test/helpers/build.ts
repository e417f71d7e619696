import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const ROOT = new URL('../../', import.meta.url).pathname

/**
 * Child-process tests run the compiled server (`node dist/app/main.js`), as production does. `npm test`
 * builds before any test; a test file run on its own builds here, through the same script as `npm start`
 * (scripts/build.mjs: nothing to do when dist/ is the build of the current sources).
 */
export function ensureBuilt(): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 })
  if (result.status !== 0) throw new Error('build failed: node scripts/build.mjs')
}
