#!/usr/bin/env node
// `npm test`: makes sure the system programs the real-component tests need are here, type-checks the
// whole tree (app, bench, infra, tests), builds, runs every tap test and ends with "N passed, N failed".
// System packages are installed only with consent: in CI (CI=true) or with --install-system-packages;
// otherwise a missing one stops the run with one line naming what to install. Other arguments go to tap,
// so `npm test -- test/config.test.ts` runs one file the same way.
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'

const REQUIRED = [
  { program: 'redis-server', apt: 'redis-server' },
  { program: 'haproxy', apt: 'haproxy' },
  { program: 'chromium', apt: 'chromium' },
]

const has = (program) => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', timeout: 15 * 60_000 }).status === 0

function ensureSystemPrograms() {
  const missing = REQUIRED.filter(({ program }) => !has(program))
  if (missing.length === 0) return
  const packages = missing.map(({ apt }) => apt)
  const canInstall = process.getuid?.() === 0 && has('apt-get')
  if (canInstall && consented) {
    console.log(`installing ${packages.join(' ')} for the real-component tests`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { stdio: 'inherit', env, timeout: 10 * 60_000 })
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env, timeout: 15 * 60_000 })
  }
  const still = REQUIRED.filter(({ program }) => !has(program))
  if (still.length > 0) {
    const install = `apt-get install ${still.map(({ apt }) => apt).join(' ')}`
    console.log(`npm test needs ${still.map(({ program }) => program).join(' and ')}: install them (Debian: ${install}), or run npm test -- ${INSTALL_FLAG} to let it run ${install} as root`)
    console.log('0 passed, 1 failed')
    process.exit(1)
  }
}

const INSTALL_FLAG = '--install-system-packages'
const consented = process.env.CI === 'true' || process.argv.includes(INSTALL_FLAG)
const tapArguments = process.argv.slice(2).filter((argument) => argument !== INSTALL_FLAG)

ensureSystemPrograms()

let passed = 0
let failed = 0
if (!run('npx', ['tsc', '-p', 'tsconfig.check.json'])) {
  console.log('not ok - type check (tsc -p tsconfig.check.json) failed')
  failed++
}
if (!run(process.execPath, ['scripts/build.mjs'])) {
  console.log('not ok - build failed')
  console.log(`${passed} passed, ${failed + 1} failed`)
  process.exit(1)
}

// Each `t.test(...)` of a test file is one test. A file that failed without a failing test inside it
// (a crash, a timeout) counts as one failure of its own.
const tap = spawn('npx', ['tap', '-R', 'tap', ...tapArguments], { stdio: ['ignore', 'pipe', 'inherit'] })
let failedInFile = 0
const lines = createInterface({ input: tap.stdout })
lines.on('line', (line) => {
  console.log(line)
  const test = /^ {4}(not )?ok \d+/.exec(line)
  if (test) {
    if (test[1]) {
      failed++
      failedInFile++
    } else passed++
    return
  }
  const file = /^(not )?ok \d+ - /.exec(line)
  if (file) {
    if (file[1] && failedInFile === 0) failed++
    failedInFile = 0
  }
})
tap.on('close', (code) => {
  if (code !== 0 && failed === 0) failed++
  console.log(`${passed} passed, ${failed} failed`)
  process.exit(failed === 0 ? 0 : 1)
})
