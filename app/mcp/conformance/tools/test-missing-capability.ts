import { inputRequired } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'

/**
 * SEP-2575: asks for a completion (sampling) on every call without one, so a 2026-07-28 request that did not
 * declare `sampling` is refused by the SDK with -32021 (HTTP 400) before anything is sent.
 */
export default defineTool({
  name: 'test_missing_capability',
  description: 'Conformance fixture: needs the sampling client capability (refused with -32021 without it).',
  inputSchema: {},
  async run(_args, { ctx }) {
    if (ctx.mcpReq.inputResponses?.llm_answer === undefined) {
      return inputRequired({ inputRequests: { llm_answer: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Reply with the single word: pong' } }], maxTokens: 16 }) } })
    }
    return { content: [{ type: 'text', text: 'sampling round-trip complete' }] }
  },
})
