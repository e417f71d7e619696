import { z } from 'zod'
import { CreateMessageResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js'
import type { RequestContext } from '../context.js'
import { defineTool, toolError } from '../define.js'

/**
 * Asks the client's model for a completion. extra.sendRequest ties the request to this tool call: it
 * travels on the call's own stream and is cancelled with the call.
 */
function askClient(extra: RequestContext['extra'], prompt: string, maxTokens: number) {
  return extra.sendRequest(
    {
      method: 'sampling/createMessage',
      params: {
        messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
        systemPrompt: 'You write short, faithful summaries.',
        maxTokens,
      },
    },
    CreateMessageResultSchema,
    { signal: extra.signal },
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
  async run({ text, maxWords }, { server, extra, clientLog }) {
    if (!server.server.getClientCapabilities()?.sampling) {
      return toolError('summarize needs a client that supports sampling (the "sampling" capability), and this client did not declare it')
    }
    await clientLog('info', 'Asking the client for a completion')
    let result
    try {
      result = await askClient(extra, `Summarize this text in at most ${maxWords} words:\n\n${text}`, maxWords * 4)
    } catch (error) {
      // The client's own refusal (say, the user declined) is its message to show; anything else is unexpected.
      if (error instanceof McpError && !extra.signal.aborted) return toolError(`The client did not complete the request: ${error.message}`)
      throw error
    }
    if (result.content.type !== 'text') return toolError(`The client answered with ${result.content.type} content instead of text`)
    return { content: [{ type: 'text', text: result.content.text }] }
  },
})
