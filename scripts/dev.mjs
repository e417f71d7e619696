#!/usr/bin/env node
// `npm run dev`: the server restarted on every change. tsc --watch recompiles what changed into a build of its
// own (.build/dev.watch, never dist, whose builds are named by their sources' hash), node --watch restarts the
// server when its compiled files change. One development key for the whole session (MCP_DEV_KEY, unless keys
// are configured), so a connected Inspector keeps working across restarts.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

const ROOT = new URL('../', import.meta.url).pathname
const OUT = join(ROOT, '.build/dev.watch')
const tsc = [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', OUT]

// A first complete build, so the server has something to start from; type errors show and do not stop it.
spawnSync(process.execPath, tsc, { stdio: ['ignore', 2, 2] })

const env = { ...process.env }
if (!env.MCP_API_KEYS && !env.MCP_API_KEYS_FILE && !env.MCP_DEV_KEY) env.MCP_DEV_KEY = `dev_${randomBytes(24).toString('base64url')}`

const children = [
  spawn(process.execPath, [...tsc, '--watch', '--preserveWatchOutput'], { cwd: ROOT, stdio: ['ignore', 2, 2] }),
  spawn(process.execPath, ['--watch', join(OUT, 'app/main.js')], { cwd: ROOT, env, stdio: 'inherit' }),
]
// Ctrl-C reaches every child through the terminal's process group; SIGTERM (from a tool) is passed on.
process.on('SIGTERM', () => children.forEach((child) => child.kill('SIGTERM')))
process.on('SIGINT', () => undefined)
for (const child of children) child.on('exit', () => children.forEach((other) => other !== child && other.kill('SIGTERM')))
