// The compiled server, built only when its sources changed and published atomically, so instances started
// together from one checkout never read a half-written module. tsc's own output goes to stderr: stdout
// belongs to the server (`npm start --silent -- --stdio` speaks MCP on it).
//
// Each build goes to .build/<hash of the sources>/ (tsc --outDir on a temporary directory, renamed when
// complete); `dist` is a symbolic link to the current one, replaced with rename(2), which is atomic. Node
// loads ES modules by their real path, so a running process keeps reading the build it started from.
// One process builds a given source state at a time (a lock directory); the others wait for its result.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const ROOT = new URL('../', import.meta.url).pathname
const BUILDS = join(ROOT, '.build')
const DIST = join(ROOT, 'dist')
/** What tsconfig.json compiles, and what decides its output. */
const SOURCES = ['app', 'bench', 'tsconfig.json', 'package-lock.json']
const KEEP_BUILDS = 3
const LOCK_WAIT_MS = 5 * 60_000

function files(path) {
  if (!existsSync(path)) return []
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => files(join(path, entry.name)))
}

/** A digest of every source file's path and content: equal sources, equal build. */
export function sourceHash() {
  const hash = createHash('sha256')
  for (const file of SOURCES.flatMap((source) => files(join(ROOT, source))).sort()) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

const isRunning = (pid) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Holds the lock of one source state; a lock whose process is gone is taken over. */
function tryLock(lock, stale = false) {
  if (stale) rmSync(lock, { recursive: true, force: true })
  try {
    mkdirSync(lock)
  } catch (error) {
    if (error.code !== 'EEXIST') throw error
    let owner
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8'))
    } catch {
      // Just made by another process, which writes its pid next; or left empty by one that died right then.
      return Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs < 10_000 ? false : tryLock(lock, true)
    }
    if (isRunning(owner)) return false
    rmSync(lock, { recursive: true, force: true })
    return tryLock(lock)
  }
  writeFileSync(join(lock, 'pid'), String(process.pid))
  return true
}

function compile(target) {
  const temporary = `${target}.tmp-${process.pid}`
  rmSync(temporary, { recursive: true, force: true })
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json'), '--outDir', temporary], { stdio: ['ignore', 2, 2] })
  if (result.status !== 0) {
    rmSync(temporary, { recursive: true, force: true })
    throw new Error('the TypeScript build failed (errors above)')
  }
  renameSync(temporary, target)
}

/** Points `dist` at the build, atomically; a `dist` directory left by a plain `tsc` build is moved aside once. */
function publish(target) {
  const link = relative(ROOT, target)
  if (existsSync(DIST) && !lstatSync(DIST).isSymbolicLink()) {
    try {
      renameSync(DIST, join(BUILDS, `plain-${Date.now()}-${process.pid}`))
    } catch (error) {
      if (error.code !== 'ENOENT') throw error // a sibling moved it first
    }
  } else if (existsSync(DIST) && readlinkSync(DIST) === link) return
  const temporary = `${DIST}.tmp-${process.pid}`
  rmSync(temporary, { force: true })
  symlinkSync(link, temporary)
  renameSync(temporary, DIST)
}

/** Keeps the newest few builds (names with a dot are locks, temporaries and npm run dev's own build): a process
 * started from an older one has loaded its modules long ago. */
function prune(current) {
  const builds = readdirSync(BUILDS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.includes('.'))
    .map((entry) => join(BUILDS, entry.name))
    .filter((path) => path !== current)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  for (const old of builds.slice(KEEP_BUILDS - 1)) rmSync(old, { recursive: true, force: true })
}

/** Makes `dist` the build of the current sources, compiling only when no build of them exists yet. */
export async function ensureBuilt() {
  mkdirSync(BUILDS, { recursive: true })
  const target = join(BUILDS, sourceHash())
  const lock = `${target}.lock`
  const deadline = Date.now() + LOCK_WAIT_MS
  while (!existsSync(target)) {
    if (tryLock(lock)) {
      try {
        if (!existsSync(target)) compile(target)
      } finally {
        rmSync(lock, { recursive: true, force: true })
      }
    } else if (Date.now() > deadline) {
      throw new Error(`another process has been building ${relative(ROOT, target)} for 5 minutes (lock ${relative(ROOT, lock)})`)
    } else {
      await sleep(200)
    }
  }
  publish(target)
  prune(target)
}

// `npm run build`: the same build, without starting anything.
if (process.argv[1] === fileURLToPath(import.meta.url)) await ensureBuilt()
