import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Tap } from './helpers/http.js'

const ROOT = new URL('../', import.meta.url).pathname

/**
 * `npm test` (scripts/test.mjs) on a machine without redis-server, haproxy and chromium: a PATH holding only a
 * shell and an apt-get that records being called (and installs nothing), so nothing on this machine changes.
 */
function runWithout(t: Tap, env: Record<string, string>, args: string[] = []) {
  const bin = mkdtempSync(join(tmpdir(), 'npm-test-path-'))
  t.teardown(() => rmSync(bin, { recursive: true, force: true }))
  const marker = join(bin, 'apt-get-called')
  symlinkSync('/bin/sh', join(bin, 'sh'))
  writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\necho "$@" >> ${marker}\n`)
  chmodSync(join(bin, 'apt-get'), 0o755)
  const { CI: _ci, ...rest } = process.env
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/test.mjs'), ...args], { cwd: ROOT, env: { ...rest, PATH: bin, ...env }, encoding: 'utf8', timeout: 30_000 })
  return { ...result, aptGetCalled: existsSync(marker) }
}

t.test('npm test never installs system packages without consent', async (t) => {
  const result = runWithout(t, {})
  t.equal(result.status, 1)
  t.notOk(result.aptGetCalled, 'apt-get was not run')
  t.match(result.stdout, /npm test needs redis-server and haproxy and chromium: install them \(Debian: apt-get install redis-server haproxy chromium\), or run npm test -- --install-system-packages/)
  t.match(result.stdout, /\n0 passed, 1 failed\n$/, 'and ends with the summary line')
})

t.test('with --install-system-packages or CI=true it runs apt-get (as root)', { skip: process.getuid?.() !== 0 && 'apt-get runs only as root' }, async (t) => {
  for (const [env, args] of [[{}, ['--install-system-packages']], [{ CI: 'true' }, []]] as const) {
    const result = runWithout(t, env, [...args])
    t.ok(result.aptGetCalled, `apt-get was run (${JSON.stringify(env)} ${args.join(' ')})`)
    t.match(result.stdout, /installing redis-server haproxy chromium/)
    t.equal(result.status, 1, 'still missing afterwards (this apt-get installs nothing): the summary says so')
  }
})
