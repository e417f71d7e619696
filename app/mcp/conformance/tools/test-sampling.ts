import { z } from 'zod'
import { inputRequired, inputResponse } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'

export default defineTool({
  name: 'test_sampling',
  description: "Conformance fixture: asks the client's model to complete the prompt (sampling) and answers with the completion.",
  inputSchema: { prompt: z.string().max(10_000).describe('The prompt to send to the LLM') },
  async run({ prompt }, { ctx }) {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'completion')
    if (answer.kind !== 'sampling') {
      return inputRequired({ inputRequests: { completion: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 }) } })
    }
    const content = Array.isArray(answer.result.content) ? answer.result.content[0] : answer.result.content
    return { content: [{ type: 'text', text: `LLM response: ${content?.type === 'text' ? content.text : 'No response'}` }] }
  },
})
