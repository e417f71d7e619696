import { randomUUID } from 'node:crypto'
import { acceptedContent, inputRequired, inputResponse } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'
import { askCompletion, askName, completionText } from '../mrtr.js'
import { requestStateCodec } from '../request-state.js'

/** SEP-2322: one round asking for three kinds of input at once (elicitation, sampling, roots). */
export default defineTool({
  name: 'test_input_required_result_multiple_inputs',
  description: 'Conformance fixture: asks for a name, a completion and the roots in a single input-required result.',
  inputSchema: {},
  async run(_args, { ctx }) {
    const responses = ctx.mcpReq.inputResponses
    const name = acceptedContent<{ name?: unknown }>(responses, 'user_name')?.name
    const greeting = completionText(responses?.greeting)
    const roots = inputResponse(responses, 'client_roots')
    if (typeof name !== 'string' || greeting === undefined || roots.kind !== 'roots') {
      return inputRequired({
        inputRequests: { user_name: askName(), greeting: askCompletion('Generate a greeting', 50), client_roots: inputRequired.listRoots() },
        requestState: await requestStateCodec.mint({ tool: 'multiple_inputs', nonce: randomUUID() }),
      })
    }
    return { content: [{ type: 'text', text: `${greeting} ${name} — ${roots.roots.length} root(s) visible` }] }
  },
})
