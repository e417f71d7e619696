import { acceptedContent, inputRequired } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'
import { askName } from '../mrtr.js'

/** SEP-2322: asks for the caller's name until a retry carries an accepted answer (a missing one is asked again). */
export default defineTool({
  name: 'test_input_required_result_elicitation',
  description: 'Conformance fixture: asks for the caller name through an input-required result (elicitation).',
  inputSchema: {},
  async run(_args, { ctx }) {
    const name = acceptedContent<{ name?: unknown }>(ctx.mcpReq.inputResponses, 'user_name')?.name
    if (typeof name !== 'string') return inputRequired({ inputRequests: { user_name: askName() } })
    return { content: [{ type: 'text', text: `Hello, ${name}!` }] }
  },
})
