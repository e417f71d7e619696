// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import { z } from 'zod'
import { inputRequired, inputResponse } from '@modelcontextprotocol/server'
import { defineTool, toolError } from '../define.js'

export default defineTool({
  name: 'summarize',
  title: 'Summarize text',
  description:
    'Summarizes a text by asking the connected client\'s own language model (MCP sampling). Works only with ' +
    'clients that support sampling; the user may be asked to approve the request.',
  inputSchema: {
    text: z.string().min(1).max(100_000).describe('The text to summarize'),
    maxWords: z.number().int().min(5).max(500).default(60).describe('Longest summary wanted, in words'),
  },
  annotations: { readOnlyHint: true, openWorldHint: true },
  /**
   * Written once for every protocol era. The first round asks for the completion as an input-required
   * result: on MCP 2026-07-28 the client fulfils it and calls again with the answer (multi-round-trip); on a
   * 2025 session (Streamable HTTP or legacy SSE) the SDK's shim sends it as a real `sampling/createMessage`
   * request on the call's own stream and calls this handler again with the answer (server dist
   * mcp-oHn3ureC.mjs, `LegacyInputRequiredShim`). A client's refusal ends the call there, as an `isError`
   * result naming the client's reason.
   */
  async run({ text, maxWords }, { server, ctx, clientLog, services }) {
    // What the client declared: in its initialize on a 2025 session, in the request's envelope on 2026-07-28.
    const capabilities = server.server.getClientCapabilities()
    // Nothing declared at all: a 2025 client served without a session (MCP_STATELESS=true), whose initialize
    // went to another server; its sampling request would need this server to hear the client's answer.
    if (capabilities === undefined && services.config.stateless) {
      const where = services.config.sessionUrl ? `${services.config.sessionUrl}/mcp` : 'the URL of this service that keeps sessions'
      return toolError(`summarize needs a session on 2025 clients (sampling), and this server keeps none: connect to ${where}, or use an MCP 2026-07-28 client`)
    }
    if (!capabilities?.sampling) {
      return toolError('summarize needs a client that supports sampling (the "sampling" capability), and this client did not declare it')
    }
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'summary')
    if (answer.kind !== 'sampling') {
      await clientLog('info', 'Asking the client for a completion')
      return inputRequired({
        inputRequests: {
          summary: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: `Summarize this text in at most ${maxWords} words:\n\n${text}` } }],
            systemPrompt: 'You write short, faithful summaries.',
            maxTokens: maxWords * 4,
          }),
        },
      })
    }
    // The result type allows a list of blocks (sampling with tools); without tools the SDK accepts only one.
    const content = Array.isArray(answer.result.content) ? answer.result.content[0] : answer.result.content
    if (content?.type !== 'text') return toolError(`The client answered with ${content?.type ?? 'no'} content instead of text`)
    return { content: [{ type: 'text', text: content.text }] }
  },
})
