import { randomUUID } from 'node:crypto'
import { acceptedContent, inputRequired } from '@modelcontextprotocol/server'
import { defineTool, toolError } from '../../define.js'
import { askConfirmation } from '../mrtr.js'
import { requestStateCodec } from '../request-state.js'

/** SEP-2322: a confirmation round that carries sealed `requestState`, verified (by the catalog's hook) on the retry. */
export default defineTool({
  name: 'test_input_required_result_request_state',
  description: 'Conformance fixture: asks for a confirmation with integrity-protected requestState.',
  inputSchema: {},
  async run(_args, { ctx }) {
    if (acceptedContent(ctx.mcpReq.inputResponses, 'confirm') === undefined) {
      return inputRequired({ inputRequests: { confirm: askConfirmation() }, requestState: await requestStateCodec.mint({ tool: 'request_state', nonce: randomUUID() }) })
    }
    // The hook has verified and decoded the state before this runs; an answer without state is incomplete.
    if (ctx.mcpReq.requestState() === undefined) return toolError('The confirmation came back without its requestState')
    return { content: [{ type: 'text', text: 'state-ok: requestState verified and confirmation received' }] }
  },
})
