import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Client } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import { catalogNames } from '../../app/mcp/catalog.js'
import { ensureBuilt } from '../helpers/build.js'
import { MAIN, isRunning } from '../helpers/processes.js'
import { resourceText, resultText, waitFor } from './helpers.js'

ensureBuilt()

t.test('stdio mode: the same catalog over stdin/stdout, logs on stderr only', async (t) => {
  t.ok(existsSync(MAIN), 'dist/app/main.js exists')
  const root = await mkdtemp(join(tmpdir(), 'stdio-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await writeFile(join(root, 'hello.txt'), 'hello over stdio')

  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN, '--stdio'],
    env: { NODE_ENV: 'development', LOG_LEVEL: 'info', MCP_FILES_ROOT: root },
    stderr: 'pipe',
  })
  const stderr: string[] = []
  transport.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  // Anything on stdout that is not a protocol message surfaces here.
  const protocolErrors: Error[] = []
  transport.onerror = (error) => protocolErrors.push(error)

  const client = new Client({ name: 'stdio-test', version: '1.0.0' })
  await client.connect(transport)
  const pid = transport.pid!
  t.teardown(() => {
    if (isRunning(pid)) process.kill(pid, 'SIGKILL')
  })

  t.equal(client.getServerVersion()?.name, 'mcp-fargate-server')
  const { tools } = await client.listTools()
  t.same(tools.map((tool) => tool.name).sort(), [...catalogNames.tools].sort(), 'the whole catalog')
  t.same((await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } })).structuredContent, { sum: 42 })
  t.match((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent, { principal: 'local', sessionId: /^stdio-/ })

  const logged: unknown[] = []
  client.setNotificationHandler('notifications/message', ({ params }) => {
    logged.push(params)
  })
  t.equal(resultText(await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } })), 'hello over stdio')
  await waitFor(() => logged.length > 0, 'a log message')
  t.same(logged, [{ level: 'info', logger: 'read_file', data: 'Read 16 bytes' }])

  const { id } = (await client.callTool({ name: 'create_user_profile', arguments: { name: 'Local', email: 'l@example.com', age: 30 } }))
    .structuredContent as { id: string }
  t.match(JSON.parse(resourceText(await client.readResource({ uri: `users://${id}/profile` }))), { id, name: 'Local' })
  t.equal((await client.listPrompts()).prompts.length, catalogNames.prompts.length)

  await waitFor(() => stderr.join('').includes('"event":"tool_call"'), 'the audit line on stderr')
  await client.close()
  await waitFor(() => !isRunning(pid), 'the server process to exit')
  t.match(stderr.join(''), /"reason":"stdin closed"/, 'it exits by itself when the client closes stdin')
  t.same(protocolErrors, [], 'stdout carried protocol messages only')
})

t.test('stdio mode starts under NODE_ENV=production without API keys (one local session needs none)', async (t) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN, '--stdio'],
    env: { NODE_ENV: 'production', LOG_LEVEL: 'info' },
    stderr: 'pipe',
  })
  const client = new Client({ name: 'stdio-production-test', version: '1.0.0' })
  await client.connect(transport)
  const pid = transport.pid!
  t.teardown(() => {
    if (isRunning(pid)) process.kill(pid, 'SIGKILL')
  })
  t.match((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent, { principal: 'local' })
  await client.close()
  await waitFor(() => !isRunning(pid), 'the server process to exit')
})
