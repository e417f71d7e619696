// The image ops ship, built from the repository as it is and run the way Fargate runs it: read-only root
// filesystem, non-root, host networking on a free port, SIGTERM on stop.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ALICE, KEYS, TRANSPORTS, connect, resultJson } from '../helpers/server.js'
import { answers, buildImage, runInImage, startContainer } from './container.js'
import { findEngine, run } from './engine.js'

// Setting up podman on a fresh machine and building without a layer cache take minutes, not seconds.
t.setTimeout(30 * 60_000)

const choice = await findEngine()
if ('skip' in choice) {
  console.error(`!!!!! SKIPPED container tests: ${choice.skip}`)
  t.plan(0, `SKIPPED container tests: ${choice.skip}`)
} else {
  const { engine } = choice
  t.comment(`container engine: ${engine.name}`)
  const image = await buildImage(t, engine)
  // Fargate-like: read-only root filesystem, an init process, keys from the environment, and /tmp as the task
  // definition provides it: an empty task volume that the image's `VOLUME /tmp` populates (its contents and
  // mode copied in, as ECS does for a bind mount at a VOLUME path), never a world-writable tmpfs of our own.
  const scratch = `mcp-fargate-server-test-${process.pid}-tmp`
  t.teardown(() => engine.cli(['volume', 'rm', '--force', scratch]))
  const createdVolume = await engine.cli(['volume', 'create', scratch])
  if (createdVolume.status !== 0) throw new Error(`volume create failed: ${createdVolume.stderr}`)
  const server = await startContainer(t, engine, image, {
    env: { MCP_API_KEYS: KEYS },
    flags: ['--read-only', '--read-only-tmpfs=false', '--volume', `${scratch}:/tmp`, '--init'],
  })
  const started = await answers(server.url, '/health', 200)

  t.test('the runtime image holds compiled output and production dependencies only', async (t) => {
    const listing = await runInImage(t, engine, image, 'ls -A /app; echo; ls -A /app/dist; echo; cd /app/node_modules && ls -d * @*/*')
    t.equal(listing.status, 0, 'listing runs', { stderr: listing.stderr })
    const [app, dist, modules] = listing.stdout.trim().split('\n\n').map((block) => block.split('\n'))
    t.same(app, ['dist', 'node_modules', 'package.json'], 'no sources, tests, infra, git or secrets in /app')
    t.same(dist, ['app'], 'only the compiled server')
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'))
    const topLevel = Object.entries(lock.packages as Record<string, { dev?: boolean; optional?: boolean }>)
      .filter(([path]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
      .map(([path, entry]) => ({ name: path.slice('node_modules/'.length), ...entry }))
    const installed = new Set(modules)
    t.same(topLevel.filter((pkg) => pkg.dev && installed.has(pkg.name)).map((pkg) => pkg.name), [], 'no devDependency installed')
    t.same(topLevel.filter((pkg) => !pkg.dev && !pkg.optional && !installed.has(pkg.name)).map((pkg) => pkg.name), [], 'every production dependency installed')
  })

  t.test('the build context holds only what the build needs: no tests, infra, git, secrets or node_modules', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'context-probe-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${image}\nCOPY . /context\n`)
    const probe = await buildImage(t, engine, { name: 'context-probe', dockerfile: join(dir, 'Dockerfile') })
    const listing = await runInImage(t, engine, probe, 'ls -A /context')
    t.same(listing.stdout.trim().split('\n'), ['app', 'package-lock.json', 'package.json', 'tsconfig.json'])
  })

  t.test('/health answers and the image HEALTHCHECK passes', async (t) => {
    t.ok(started, '/health answered 200 after the start')
    t.same(await (await fetch(`${server.url}/health`)).json(), { status: 'ok' })
    t.ok(await engine.healthcheck(server.name), `${engine.name} healthcheck passes`)
  })

  for (const transport of TRANSPORTS) {
    t.test(`SDK client over ${transport} lists and calls tools with a key given in the environment`, async (t) => {
      const client = await connect(t, server.url, ALICE, transport)
      const { tools } = await client.listTools()
      t.ok(tools.some((tool) => tool.name === 'whoami'), 'whoami is listed')
      t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
    })
  }

  const inspector = (key: string, ...method: string[]) =>
    run('npx', ['--no-install', 'mcp-inspector', '--cli', `${server.url}/sse`, '--transport', 'sse', '--header', `Authorization: Bearer ${key}`, '--method', ...method], { timeoutMs: 90_000 })

  t.test('the Inspector CLI lists and calls tools over SSE', async (t) => {
    const list = await inspector(ALICE, 'tools/list')
    t.equal(list.status, 0, 'tools/list exits 0', { stderr: list.stderr })
    t.ok(JSON.parse(list.stdout).tools.some((tool: { name: string }) => tool.name === 'whoami'), 'whoami is listed')
    const call = await inspector(ALICE, 'tools/call', '--tool-name', 'whoami')
    t.equal(call.status, 0, 'tools/call exits 0', { stderr: call.stderr })
    t.equal(JSON.parse(call.stdout).structuredContent.principal, 'alice')
  })

  t.test('a wrong key gets 401', async (t) => {
    for (const path of ['/sse', '/mcp']) {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: 'Bearer wrong-secret-0123456789' } })
      t.equal(response.status, 401, path)
      t.match(response.headers.get('www-authenticate'), /^Bearer/, path)
      await response.body?.cancel()
    }
    const list = await inspector('wrong-secret-0123456789', 'tools/list')
    t.not(list.status, 0, 'the Inspector CLI fails')
    t.notMatch(list.stdout, /whoami/)
  })

  t.test('runs as uid 1000 on a read-only root filesystem', async (t) => {
    t.equal((await engine.cli(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', server.name])).stdout.trim(), 'true')
    // The server's own process (cmdline exactly `node dist/app/main.js`), found through /proc: the slim image has no ps.
    const serverUid = await engine.cli(['exec', server.name, 'sh', '-c',
      'for p in /proc/[0-9]*; do [ "$(tr "\\0" " " < $p/cmdline 2>/dev/null)" = "node dist/app/main.js " ] && grep "^Uid:" $p/status; done; true'])
    t.match(serverUid.stdout, /^Uid:\s+1000\s+1000\s+1000\s+1000\n$/, 'the server process runs as uid 1000')
    // The node user's own home: writable on a normal filesystem, so only the read-only mount can refuse it.
    const writeRoot = await engine.cli(['exec', server.name, 'sh', '-c', 'touch /home/node/probe'])
    t.not(writeRoot.status, 0, 'the root filesystem is not writable')
    t.match(writeRoot.stderr, /Read-only file system/)
    const writeTmp = await engine.cli(['exec', server.name, 'sh', '-c', 'touch /tmp/probe && stat -c %u /tmp/probe && rm /tmp/probe'])
    t.equal(writeTmp.status, 0, '/tmp is writable by the server\'s user', { stderr: writeTmp.stderr })
    t.equal(writeTmp.stdout.trim(), '1000', 'and the file belongs to uid 1000')
    const mount = await engine.cli(['exec', server.name, 'sh', '-c', 'grep " /tmp " /proc/mounts; stat -c %a:%u /tmp'])
    t.notMatch(mount.stdout, /^tmpfs /m, '/tmp is the task volume, not a tmpfs')
    t.match(mount.stdout, /^1777:0$/m, 'with the mode the image\'s VOLUME gave it (copied in, as ECS copies it)')
  })

  t.test('NODE_ENV=production without keys: the container exits non-zero with the reason in its log', async (t) => {
    const keyless = await startContainer(t, engine, image)
    const waited = await engine.cli(['wait', keyless.name], { timeoutMs: 60_000 })
    t.equal(waited.stdout.trim(), '78', 'configuration error exit code')
    t.match(await keyless.logs(), /MCP_API_KEYS.*production|production.*MCP_API_KEYS/)
  })

  t.test('stop with a grace period: sessions keep working while draining, streams close cleanly, exit 0', async (t) => {
    const drainMs = 5000
    const graceSeconds = 60 // ECS stopTimeout: well above the drain, so exit 0 means the server left by itself
    const draining = await startContainer(t, engine, image, { env: { MCP_API_KEYS: KEYS, MCP_DRAIN_MS: String(drainMs) } })
    t.ok(await answers(draining.url, '/health', 200), 'started')
    const client = await connect(t, draining.url, ALICE, 'streamable-http')
    const stream = await fetch(`${draining.url}/sse`, { headers: { authorization: `Bearer ${ALICE}` } })
    const reader = stream.body!.getReader()
    t.match(new TextDecoder().decode((await reader.read()).value), /event: endpoint/, 'SSE session open')

    // No --init here: node itself must receive the SIGTERM.
    const stopped = engine.cli(['stop', '--time', String(graceSeconds), draining.name], { timeoutMs: (graceSeconds + 30) * 1000 })
    t.ok(await answers(draining.url, '/ready', 503), 'readiness turns 503 once SIGTERM arrives')
    t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'an open session still works while draining')

    let streamEnd: string
    try {
      while (!(await reader.read()).done);
      streamEnd = 'ended'
    } catch (error) {
      streamEnd = `broke: ${(error as Error).message}`
    }
    t.equal(streamEnd, 'ended', 'the SSE stream ends cleanly (not a broken connection)')
    t.equal((await stopped).status, 0)
    t.equal(await draining.exitCode(), '0', 'exit code 0, before the grace period ran out')
    t.match(await draining.logs(), /"msg":"draining"[\s\S]*"msg":"stopped"/)
  })
}
