#!/usr/bin/env node
// `npm start`: builds when the sources changed (scripts/build.mjs), then runs the server in this same
// process, so Ctrl-C and SIGTERM reach its drain directly and its arguments (--stdio, --help) are its own.
import { ensureBuilt } from './build.mjs'

await ensureBuilt()
await import('../dist/app/main.js')
