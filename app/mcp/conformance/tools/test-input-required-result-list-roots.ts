import { inputRequired, inputResponse } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'

export default defineTool({
  name: 'test_input_required_result_list_roots',
  description: "Conformance fixture: asks for the client's roots through an input-required result (roots/list).",
  inputSchema: {},
  async run(_args, { ctx }) {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'client_roots')
    if (answer.kind !== 'roots') return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } })
    return { content: [{ type: 'text', text: `Client exposed ${answer.roots.length} root(s): ${answer.roots.map((root) => root.uri).join(', ')}` }] }
  },
})
