import { randomUUID } from 'node:crypto'
import { acceptedContent, inputRequired } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'
import { askConfirmation } from '../mrtr.js'
import { requestStateCodec } from '../request-state.js'

/**
 * SEP-2322: a retry whose requestState fails verification never reaches this handler: the catalog's
 * `requestState` hook refuses it and the SDK answers -32602.
 */
export default defineTool({
  name: 'test_input_required_result_tampered_state',
  description: 'Conformance fixture: asks for a confirmation with sealed requestState; tampered state is refused.',
  inputSchema: {},
  async run(_args, { ctx }) {
    if (ctx.mcpReq.requestState() !== undefined && acceptedContent(ctx.mcpReq.inputResponses, 'confirm') !== undefined) {
      return { content: [{ type: 'text', text: 'integrity-ok: requestState verified' }] }
    }
    return inputRequired({ inputRequests: { confirm: askConfirmation() }, requestState: await requestStateCodec.mint({ tool: 'tampered_state', nonce: randomUUID() }) })
  },
})
