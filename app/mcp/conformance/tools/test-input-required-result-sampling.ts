import { inputRequired } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'
import { askCompletion, completionText } from '../mrtr.js'

export default defineTool({
  name: 'test_input_required_result_sampling',
  description: "Conformance fixture: asks the client's model a question through an input-required result (sampling).",
  inputSchema: {},
  async run(_args, { ctx }) {
    const answer = ctx.mcpReq.inputResponses?.capital_question
    if (answer === undefined) return inputRequired({ inputRequests: { capital_question: askCompletion('What is the capital of France?', 100) } })
    return { content: [{ type: 'text', text: `Sampling response: ${completionText(answer) ?? JSON.stringify(answer)}` }] }
  },
})
