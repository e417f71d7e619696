/**
 * The comparison a team would write with SDK v2 for 2025 sessions, in its documented default shape: an
 * `McpServer` per session behind a sessionful `NodeStreamableHTTPServerTransport` (@modelcontextprotocol/node)
 * on `createMcpExpressApp` (@modelcontextprotocol/express), routed by `Mcp-Session-Id` exactly as the SDK's
 * docs/serving/sessions-state-scaling.md ("Pin a client to a session") and examples/legacy-routing/server.ts
 * do, in the transport's default response mode (each POST answered as an SSE stream). Plus the same API-key
 * check and the same tool as ours. v2 has no SSE server transport, so this server speaks Streamable HTTP only.
 * No logging, no metrics, no limits: it only has to be correct.
 */
import { randomUUID } from 'node:crypto'
import { createMcpExpressApp } from '@modelcontextprotocol/express'
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node'
import { McpServer, isInitializeRequest } from '@modelcontextprotocol/server'
import { z } from 'zod'
import type { ApiKey } from '../../app/keys.js'
import whoami from '../../app/mcp/tools/whoami.js'
import { keyCheck, port, rpcError, type Request, type Response } from './reference-express.js'

function buildServer(principal: ApiKey): McpServer {
  const server = new McpServer({ name: 'reference-v2-server', version: '1.0.0' }, { capabilities: { logging: {} } })
  const { name, title, description, inputSchema, annotations } = whoami
  server.registerTool(name, { title, description, inputSchema: z.object(inputSchema), annotations }, async (args, ctx) =>
    whoami.run(args, { principal, sessionId: ctx.sessionId, server } as never),
  )
  return server
}

const app = createMcpExpressApp()
const sessions = new Map<string, NodeStreamableHTTPServerTransport>()

app.use(keyCheck)

app.all('/mcp', async (req: Request, res: Response) => {
  const sessionId = req.headers['mcp-session-id'] as string | undefined
  const existing = sessionId ? sessions.get(sessionId) : undefined
  if (existing) return existing.handleRequest(req, res, req.body)
  if (!sessionId && req.method === 'POST' && isInitializeRequest(req.body)) {
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
    })
    transport.onclose = () => void (transport.sessionId && sessions.delete(transport.sessionId))
    await buildServer(req.principal!).connect(transport)
    return transport.handleRequest(req, res, req.body)
  }
  if (sessionId) return rpcError(res, 404, -32001, 'Session not found')
  rpcError(res, 400, -32000, 'Bad Request: Session ID required')
})

app.listen(port, '127.0.0.1', () => console.log(`reference v2 server on 127.0.0.1:${port}`))
process.on('SIGTERM', () => process.exit(0))
