#!/usr/bin/env node
// `npm run dev`: the server restarted on every change. tsc --watch recompiles what changed into the current
// build (dist), node --watch restarts the server when its compiled files change. One development key for the
// whole session (MCP_DEV_KEY, unless set already), so a connected Inspector keeps working across restarts.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ensureBuilt } from './build.mjs'

const ROOT = new URL('../', import.meta.url).pathname
await ensureBuilt()

const env = { ...process.env }
if (!env.MCP_API_KEYS && !env.MCP_API_KEYS_FILE && !env.MCP_DEV_KEY) env.MCP_DEV_KEY = `dev_${randomBytes(24).toString('base64url')}`

const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
const children = [
  spawn(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json'), '--watch', '--preserveWatchOutput'], { cwd: ROOT, stdio: ['ignore', 2, 2] }),
  spawn(process.execPath, ['--watch', join(ROOT, 'dist/app/main.js')], { cwd: ROOT, env, stdio: 'inherit' }),
]
// Ctrl-C reaches every child through the terminal's process group; SIGTERM (from a tool) is passed on.
process.on('SIGTERM', () => children.forEach((child) => child.kill('SIGTERM')))
process.on('SIGINT', () => undefined)
for (const child of children) child.on('exit', () => children.forEach((other) => other !== child && other.kill('SIGTERM')))
