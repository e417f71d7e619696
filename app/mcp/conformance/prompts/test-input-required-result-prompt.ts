import { acceptedContent, inputRequired } from '@modelcontextprotocol/server'
import { definePrompt, userPrompt } from '../../define-prompt.js'

/** SEP-2322: prompts/get may answer input-required too; this prompt asks for its context first. */
export default definePrompt({
  name: 'test_input_required_result_prompt',
  title: 'MRTR Prompt',
  description: 'Conformance fixture: a prompt that asks for context (elicitation) before it is built.',
  argsSchema: {},
  build(_args, { ctx }) {
    const context = acceptedContent<{ context?: unknown }>(ctx.mcpReq.inputResponses, 'user_context')?.context
    if (typeof context !== 'string') {
      return inputRequired({
        inputRequests: {
          user_context: inputRequired.elicit({ message: 'What context should the prompt use?', requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] } }),
        },
      })
    }
    return userPrompt('A prompt built from the context the user gave', `Use the following context: ${context}`)
  },
})
