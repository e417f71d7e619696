import { inputRequired, type InputRequests } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'
import { askCompletion, askName } from '../mrtr.js'

/** SEP-2322: asks only for the kinds of input the caller declared it can give. */
export default defineTool({
  name: 'test_input_required_result_capabilities',
  description: 'Conformance fixture: asks for input only through the client capabilities the request declared.',
  inputSchema: {},
  async run(_args, { server, ctx }) {
    if (ctx.mcpReq.inputResponses !== undefined) return { content: [{ type: 'text', text: 'Capability-aware input requests fulfilled' }] }
    // What the client declared: in the request's envelope on 2026-07-28, in its initialize on a 2025 session.
    const declared = server.server.getClientCapabilities() ?? {}
    const inputRequests: InputRequests = {}
    if (declared.elicitation) inputRequests.user_name = askName()
    if (declared.sampling) inputRequests.greeting = askCompletion('Generate a short greeting', 50)
    if (declared.roots) inputRequests.client_roots = inputRequired.listRoots()
    if (Object.keys(inputRequests).length === 0) return { content: [{ type: 'text', text: 'No declared client capability supports an in-band input request' }] }
    return inputRequired({ inputRequests })
  },
})
