/**
 * A build of an earlier commit of this project, run as one more server in the benchmark's rotation, so that
 * "no worse than before" is measured in the same run on the same machine rather than read off an old report.
 * Built once per commit into the system's temporary directory and reused: the commit's files (`git archive`,
 * which leaves this repository's worktrees alone), its production dependencies from its own lock file
 * (`npm ci --omit=dev`, from the npm cache when it holds them) and its `app/` compiled by this checkout's tsc.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { projectRoot } from './servers.js'

const run = promisify(execFile)

/** The last commit before the SDK v2 port and our own Streamable HTTP transport (issue 14). */
export const DEFAULT_BASELINE_REV = '1111cf7'

const INSTALL_TIMEOUT_MS = 10 * 60_000
const COMPILE_TIMEOUT_MS = 5 * 60_000
const BUILT_MARKER = '.bench-built'

export interface Baseline {
  /** As asked for, e.g. `1111cf7`. */
  rev: string
  commit: string
  /** Its compiled `dist/app/main.js`. */
  entry: string
}

async function resolveCommit(rev: string): Promise<string> {
  const { stdout } = await run('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: projectRoot() })
  return stdout.trim()
}

/**
 * Compiles the commit's app/ only (its bench/ and tests need dev dependencies it does not install), and of it
 * what the container runs: the Lambda entry imports @aws-sdk/client-ssm, a dev dependency (the Lambda runtime
 * provides it), which no commit since the Lambda leg's OAuth could compile without.
 */
async function compile(dir: string): Promise<void> {
  const root = projectRoot()
  const tsconfig = join(dir, 'tsconfig.bench-baseline.json')
  const config = { extends: './tsconfig.json', compilerOptions: { typeRoots: [join(root, 'node_modules', '@types')] }, include: ['app/**/*.ts'], exclude: ['app/lambda.ts', 'app/lambda/**'] }
  writeFileSync(tsconfig, JSON.stringify(config))
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], { cwd: dir, timeout: COMPILE_TIMEOUT_MS })
}

/** Builds `rev` (or finds it built by an earlier run); throws with the failing step's output when it cannot. */
export async function buildBaseline(rev: string, progress: (line: string) => void): Promise<Baseline> {
  const commit = await resolveCommit(rev).catch(() => {
    throw new Error(`baseline ${rev} is not a commit of this repository`)
  })
  const dir = join(tmpdir(), `mcp-bench-baseline-${commit}`)
  const entry = join(dir, 'dist', 'app', 'main.js')
  if (existsSync(join(dir, BUILT_MARKER)) && existsSync(entry)) return { rev, commit, entry }
  progress(`building baseline ${rev} (${commit.slice(0, 12)}) in ${dir}: once per commit, reused by later runs`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const archive = `${dir}.tar`
  try {
    await run('git', ['archive', '--format=tar', `--output=${archive}`, commit], { cwd: projectRoot() })
    await run('tar', ['-xf', archive, '-C', dir])
  } finally {
    rmSync(archive, { force: true })
  }
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, timeout: INSTALL_TIMEOUT_MS })
  await compile(dir)
  if (!existsSync(entry)) throw new Error(`baseline ${rev} built without ${entry}`)
  writeFileSync(join(dir, BUILT_MARKER), `${new Date().toISOString()}\n`)
  return { rev, commit, entry }
}
