import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ALICE, KEYS, connect } from './helpers/server.js'
import { request, type Tap } from './helpers/http.js'
import { accepts } from '../bench/ports.js'
import { eventually, freePort, spawnChild, type Child } from './helpers/processes.js'

const ROOT = new URL('../', import.meta.url).pathname
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
const WHOAMI = 'app/mcp/tools/whoami.ts'

/** A checkout of its own (sources copied, node_modules shared), so building there never touches this one's dist. */
function checkout(t: Tap): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-start-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const path of ['app', 'bench', 'scripts', 'tsconfig.json', 'package.json', 'package-lock.json']) cpSync(join(ROOT, path), join(dir, path), { recursive: true })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

/** One `npm start` (the command its script runs, in-process, so the PID we stop is the server's). */
async function start(t: Tap, dir: string) {
  const port = await freePort()
  const child = spawnChild(t, process.execPath, [join(dir, 'scripts/start.mjs')], {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    MCP_PEER_PORT: '0',
    MCP_API_KEYS: KEYS,
    MCP_DRAIN_MS: '0',
  })
  return { child, url: `http://127.0.0.1:${port}` }
}

async function healthy(server: { child: Child; url: string }): Promise<boolean> {
  const answered = async () => (await request(`${server.url}/health`).then((response) => response.ok, () => false))
  // Up to 3 minutes: the first of them compiles the whole tree on a shared machine while the others wait.
  return (await eventually(async () => !server.child.running || (await answered()), 180_000, 200)) && server.child.running
}

async function whoamiDescription(t: Tap, url: string): Promise<string | undefined> {
  const client = await connect(t, url, ALICE, 'streamable-http')
  const { tools } = await client.listTools()
  await client.close()
  return tools.find((tool) => tool.name === 'whoami')?.description
}

t.test('npm start runs scripts/start.mjs, which builds only when the sources changed', async (t) => {
  t.equal(PACKAGE.scripts.start, 'node scripts/start.mjs')
  t.equal(PACKAGE.scripts.build, 'node scripts/build.mjs')
})

t.test('three instances started together from one checkout all come up, before and after a source change', async (t) => {
  const dir = checkout(t)
  const first = await Promise.all([1, 2, 3].map(() => start(t, dir)))
  for (const [i, server] of first.entries()) t.ok(await healthy(server), `fresh checkout, instance ${i + 1} serves`)
  const builds = () => readdirSync(join(dir, '.build')).filter((name) => !name.includes('.'))
  t.equal(builds().length, 1, 'one build for the three of them')
  const firstBuild = readlinkSync(join(dir, 'dist'))

  // A source edit while the first three run: three more start together and must not disturb them.
  writeFileSync(join(dir, WHOAMI), readFileSync(join(dir, WHOAMI), 'utf8').replace('Never returns secrets.', 'Never returns secrets. Edited.'))
  const second = await Promise.all([1, 2, 3].map(() => start(t, dir)))
  for (const [i, server] of second.entries()) {
    t.ok(await healthy(server), `after the edit, instance ${i + 1} serves`)
    t.match(await whoamiDescription(t, server.url), /Edited\.$/, `instance ${i + 1} runs the edited source`)
  }
  for (const [i, server] of first.entries()) {
    t.ok(server.child.running, `first instance ${i + 1} still runs`)
    t.notMatch(await whoamiDescription(t, server.url), /Edited/, `first instance ${i + 1} still serves what it started with`)
  }
  t.not(readlinkSync(join(dir, 'dist')), firstBuild, 'dist points at the new build')
  t.equal(builds().length, 2)

  // Nothing changed since: a start compiles nothing.
  const built = statSync(join(dir, readlinkSync(join(dir, 'dist')))).mtimeMs
  const again = await start(t, dir)
  t.ok(await healthy(again), 'a start without changes serves')
  t.equal(builds().length, 2, 'no new build')
  t.equal(statSync(join(dir, readlinkSync(join(dir, 'dist')))).mtimeMs, built, 'the build was not rewritten')
  for (const server of [...first, ...second, again]) await server.child.stop()
})

t.test('npm run dev restarts on a source change and keeps its development key', async (t) => {
  t.equal(PACKAGE.scripts.dev, 'node scripts/dev.mjs')
  const dir = checkout(t)
  const port = await freePort()
  const dev = spawnChild(t, process.execPath, [join(dir, 'scripts/dev.mjs')], { NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), MCP_PEER_PORT: '0', MCP_API_KEYS: '', MCP_API_KEYS_FILE: '', MCP_DEV_KEY: '' })
  const url = `http://127.0.0.1:${port}`
  t.ok(await eventually(() => /key:\s+dev_\S+/.test(dev.output) || !dev.running, 180_000, 200), 'the banner is printed')
  const key = /key:\s+(dev_\S+)/.exec(dev.output)?.[1]
  if (!key) return
  const description = async () => {
    const client = await connect(t, url, key, 'streamable-http')
    const { tools } = await client.listTools()
    await client.close()
    return tools.find((tool) => tool.name === 'whoami')?.description ?? ''
  }
  // tsc --watch compiles everything once more when it starts, which restarts the server once: wait for that.
  await eventually(() => dev.output.includes('Watching for file changes'), 180_000, 200)
  t.ok(await eventually(async () => (await description().catch(() => '')) !== '', 60_000, 500), 'serves with the printed key')
  writeFileSync(join(dir, WHOAMI), readFileSync(join(dir, WHOAMI), 'utf8').replace('Never returns secrets.', 'Never returns secrets. Edited.'))
  t.ok(await eventually(async () => /Edited\.$/.test(await description().catch(() => '')), 120_000, 500), 'the edit is served, with the same key')
  t.equal(new Set([...dev.output.matchAll(/key:\s+(dev_\S+)/g)].map(([, printed]) => printed)).size, 1, 'one key for the whole session')
  t.notOk(existsSync(join(dir, 'dist')), 'dist was never written: npm run dev builds into a directory of its own')
  await dev.stop(10_000)
  t.ok(await eventually(async () => !(await accepts(port)), 10_000), 'stopping it stops the server it started')
})
