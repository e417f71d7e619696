import { randomUUID } from 'node:crypto'
import { acceptedContent, inputRequired } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'
import { askName } from '../mrtr.js'
import { requestStateCodec } from '../request-state.js'

/** SEP-2322: two rounds before the result; the round (and the first answer) travel in the sealed requestState. */
export default defineTool({
  name: 'test_input_required_result_multi_round',
  description: 'Conformance fixture: asks for a name, then a colour, with requestState that changes between rounds.',
  inputSchema: {},
  async run(_args, { ctx }) {
    const state = ctx.mcpReq.requestState<Record<string, unknown>>()
    const round = state?.tool === 'multi_round' && typeof state.round === 'number' ? state.round : 0
    if (round === 0) {
      return inputRequired({ inputRequests: { step1: askName('Step 1: What is your name?') }, requestState: await requestStateCodec.mint({ tool: 'multi_round', round: 1, nonce: randomUUID() }) })
    }
    if (round === 1) {
      const name = acceptedContent<{ name?: unknown }>(ctx.mcpReq.inputResponses, 'step1')?.name
      const step2 = inputRequired.elicit({ message: 'Step 2: What is your favorite color?', requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] } })
      return inputRequired({ inputRequests: { step2 }, requestState: await requestStateCodec.mint({ tool: 'multi_round', round: 2, name: String(name ?? 'unknown'), nonce: randomUUID() }) })
    }
    const color = acceptedContent<{ color?: unknown }>(ctx.mcpReq.inputResponses, 'step2')?.color
    return { content: [{ type: 'text', text: `Multi-round complete: ${String(state?.name ?? 'unknown')} likes ${String(color ?? 'unknown')}` }] }
  },
})
