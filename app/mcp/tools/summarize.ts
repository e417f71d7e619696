import { z } from 'zod'
import { ProtocolError, type ServerContext } from '@modelcontextprotocol/server'
import { defineTool, toolError } from '../define.js'

/**
 * Asks the client's model for a completion. `ctx.mcpReq.send` ties the request to this tool call: it
 * travels on the call's own stream and is cancelled with the call (`ctx.mcpReq.requestSampling` would not:
 * it sends through `server.createMessage`, unrelated to the call, so over Streamable HTTP it would need the
 * optional standalone GET stream). For a spec method the SDK checks the result against the spec's schema.
 */
function askClient(ctx: ServerContext, prompt: string, maxTokens: number) {
  return ctx.mcpReq.send(
    {
      method: 'sampling/createMessage',
      params: {
        messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
        systemPrompt: 'You write short, faithful summaries.',
        maxTokens,
      },
    },
    { signal: ctx.mcpReq.signal },
  )
}

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
  async run({ text, maxWords }, { server, ctx, clientLog }) {
    if (!server.server.getClientCapabilities()?.sampling) {
      return toolError('summarize needs a client that supports sampling (the "sampling" capability), and this client did not declare it')
    }
    await clientLog('info', 'Asking the client for a completion')
    let result
    try {
      result = await askClient(ctx, `Summarize this text in at most ${maxWords} words:\n\n${text}`, maxWords * 4)
    } catch (error) {
      // The client's own refusal (say, the user declined) is its message to show; anything else is unexpected.
      if (error instanceof ProtocolError && !ctx.mcpReq.signal.aborted) return toolError(`The client did not complete the request: ${error.message}`)
      throw error
    }
    // The result type allows a list of blocks (sampling with tools); without tools the SDK accepts only one.
    const content = Array.isArray(result.content) ? result.content[0] : result.content
    if (content?.type !== 'text') return toolError(`The client answered with ${content?.type ?? 'no'} content instead of text`)
    return { content: [{ type: 'text', text: content.text }] }
  },
})
