/**
 * The comparison a team would write with SDK v2 for MCP 2026-07-28, in its documented default shape: the
 * SDK's `createMcpHandler` with default options behind its node adapter (`toNodeHandler`, @modelcontextprotocol/node)
 * on `createMcpExpressApp`, building an `McpServer` per request from a factory (SDK docs: "Use ONE factory",
 * `createMcpHandler` JSDoc). The same API-key check as ours, passed on as `req.auth` (the adapter's
 * `authInfo`), and the same tool. No logging, no metrics, no limits: it only has to be correct.
 */
import { createMcpExpressApp } from '@modelcontextprotocol/express'
import { toNodeHandler } from '@modelcontextprotocol/node'
import { McpServer, createMcpHandler, type AuthInfo } from '@modelcontextprotocol/server'
import { z } from 'zod'
import whoami from '../../app/mcp/tools/whoami.js'
import { keyCheck, port, type Request, type Response } from './reference-express.js'

const handler = toNodeHandler(
  createMcpHandler(({ authInfo }) => {
    const server = new McpServer({ name: 'reference-modern-server', version: '1.0.0' }, { capabilities: { logging: {} } })
    const { name, title, description, inputSchema, annotations } = whoami
    server.registerTool(name, { title, description, inputSchema: z.object(inputSchema), annotations }, async (args) =>
      whoami.run(args, { principal: { name: authInfo?.clientId }, sessionId: undefined, server } as never),
    )
    return server
  }),
)

const app = createMcpExpressApp()
app.use(keyCheck)
app.post('/mcp', (req: Request & { auth?: AuthInfo }, res: Response) => {
  req.auth = { token: '', clientId: req.principal!.name, scopes: [] }
  return handler(req, res, req.body)
})

app.listen(port, '127.0.0.1', () => console.log(`reference modern server on 127.0.0.1:${port}`))
process.on('SIGTERM', () => process.exit(0))
