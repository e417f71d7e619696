/**
 * The comparison a team would write with SDK v1 (`@modelcontextprotocol/sdk` 1.x): the official SDK's
 * `McpServer` with `SSEServerTransport` and a stateful `StreamableHTTPServerTransport` on express, in the shape of the SDK's
 * sseAndStreamableHttpCompatibleServer example (one McpServer per session), plus the same API-key check
 * and the same tool as ours. No logging, no metrics, no limits: it only has to be correct.
 */
import { randomUUID } from 'node:crypto'
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import type { ApiKey } from '../../app/keys.js'
import whoami from '../../app/mcp/tools/whoami.js'
import { keyCheck, port, rpcError, type Request, type Response } from './reference-express.js'

function getServer(principal: ApiKey): McpServer {
  const server = new McpServer({ name: 'reference-server', version: '1.0.0' }, { capabilities: { logging: {} } })
  const { name, title, description, inputSchema, annotations } = whoami
  server.registerTool(name, { title, description, inputSchema, annotations }, async (args, extra) =>
    // Our catalog is typed with SDK v2; the wire shape of the result is the same.
    whoami.run(args, { principal, sessionId: extra.sessionId, server } as never) as Promise<never>,
  )
  return server
}

const app = createMcpExpressApp()
const sessions = new Map<string, SSEServerTransport | StreamableHTTPServerTransport>()

app.use(keyCheck)

app.all('/mcp', async (req: Request, res: Response) => {
  const sessionId = req.headers['mcp-session-id'] as string | undefined
  let transport = sessionId ? sessions.get(sessionId) : undefined
  if (sessionId && !(transport instanceof StreamableHTTPServerTransport)) return rpcError(res, 404, -32001, 'Session not found')
  if (!transport) {
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) return rpcError(res, 400, -32000, 'Bad Request: No valid session ID provided')
    const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, created),
    })
    created.onclose = () => void (created.sessionId && sessions.delete(created.sessionId))
    await getServer(req.principal!).connect(created)
    transport = created
  }
  await (transport as StreamableHTTPServerTransport).handleRequest(req, res, req.body)
})

app.get('/sse', async (req: Request, res: Response) => {
  const transport = new SSEServerTransport('/messages', res)
  sessions.set(transport.sessionId, transport)
  transport.onclose = () => void sessions.delete(transport.sessionId)
  await getServer(req.principal!).connect(transport)
})

app.post('/messages', async (req: Request, res: Response) => {
  const transport = sessions.get(req.query.sessionId ?? '')
  if (!(transport instanceof SSEServerTransport)) return rpcError(res, 404, -32001, 'Session not found')
  await transport.handlePostMessage(req, res, req.body)
})

app.listen(port, '127.0.0.1', () => console.log(`reference server on 127.0.0.1:${port}`))
process.on('SIGTERM', () => process.exit(0))
