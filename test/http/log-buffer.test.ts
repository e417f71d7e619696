import { spawn } from 'node:child_process'
import t from 'tap'
import { ensureBuilt } from '../helpers/build.js'
import { bearer, request } from '../helpers/http.js'
import { MAIN, freePort, waitForPort } from '../helpers/processes.js'
import { KEYS } from '../helpers/server.js'

ensureBuilt()

const REQUESTS = 8_000
const CONCURRENCY = 32

/*
 * A log sink that stops reading (stdout a pipe nobody drains) under a flood of failed logins: each writes two
 * lines, so the flood is about 5 MiB of logs. pino's asynchronous destination keeps at most 2 MiB waiting and
 * drops the rest, counted in mcp_log_lines_dropped_total; without the bound it kept all of it in memory.
 */
t.test('a stdout that does not keep up costs at most the log buffer: lines past it are dropped and counted, the task answers', async (t) => {
  const port = await freePort()
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), MCP_PEER_PORT: '0', MCP_API_KEYS: KEYS, MCP_AUTH_FAILURES_PER_MIN: '1000000', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  t.teardown(() => void child.kill('SIGKILL'))
  // stdout is never read: its pipe fills and the server's log lines wait in its process.
  await waitForPort(port)
  const url = `http://127.0.0.1:${port}`
  let sent = 0
  const statuses = new Map<number, number>()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < REQUESTS) {
        sent++
        const response = await request(`${url}/mcp`, { method: 'POST', headers: { ...bearer('not-a-key'), 'content-type': 'application/json' }, body: '{}' })
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
        await response.arrayBuffer()
      }
    }),
  )
  t.same([...statuses.keys()], [401], `every one of ${REQUESTS} failed logins was answered 401`)
  const metrics = await (await request(`${url}/metrics`)).text()
  const dropped = Number(/^mcp_log_lines_dropped_total (\d+)$/m.exec(metrics)?.[1])
  t.ok(dropped > 1_000, `log lines past the buffer were dropped and counted (${dropped})`)
  t.equal((await request(`${url}/health`)).status, 200, 'the task answers')
  t.equal(child.exitCode, null, 'and is still running')
})
