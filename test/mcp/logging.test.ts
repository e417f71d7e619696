import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { LoggingMessageNotification } from '@modelcontextprotocol/client'
import { ALICE, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { waitFor } from './helpers.js'

type LogParams = LoggingMessageNotification['params']

async function connectCollecting(t: Parameters<typeof connect>[0], url: string, transport: (typeof TRANSPORTS)[number]) {
  const client = await connect(t, url, ALICE, transport)
  const messages: LogParams[] = []
  client.setNotificationHandler('notifications/message', (notification) => {
    messages.push(notification.params)
  })
  const read = (path: string) => client.callTool({ name: 'read_file', arguments: { path } })
  return { client, messages, read }
}

for (const transport of TRANSPORTS) {
  t.test(`logging over ${transport}: tools log to the client, filtered per session by logging/setLevel`, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'logging-'))
    t.teardown(() => rm(root, { recursive: true, force: true }))
    await writeFile(join(root, 'hello.txt'), 'hello')
    const server = await startServer(t, { MCP_FILES_ROOT: root })

    const quiet = await connectCollecting(t, server.url, transport)
    const chatty = await connectCollecting(t, server.url, transport)
    await quiet.client.setLoggingLevel('warning')

    await quiet.read('hello.txt') // logs at info: below this session's level
    await quiet.read('../escape.txt') // logs at warning
    await waitFor(() => quiet.messages.length > 0, 'the warning')
    t.same(quiet.messages, [{ level: 'warning', logger: 'read_file', data: 'Refused: give a path relative to the file sandbox that stays inside it' }])

    await chatty.read('hello.txt')
    await waitFor(() => chatty.messages.length > 0, 'the info message')
    t.same(chatty.messages, [{ level: 'info', logger: 'read_file', data: 'Read 5 bytes' }], 'another session keeps its own level')

    // An info message of the quiet session's first call would have arrived before its second call's warning.
    t.equal(quiet.messages.length, 1, 'the info message was not sent to the session that asked for warnings only')
  })
}
