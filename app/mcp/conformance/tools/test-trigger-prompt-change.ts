import { defineTool } from '../../define.js'

/**
 * The stateless scenario's hook for "the prompt list changed": announces it, so that open `subscriptions/listen`
 * streams asking for prompt list changes are told (the catalog itself never changes at run time).
 */
export default defineTool({
  name: 'test_trigger_prompt_change',
  description: 'Conformance fixture: announces that the prompt list changed.',
  inputSchema: {},
  async run(_args, { services }) {
    services.changes.publish({ kind: 'prompts_list_changed' })
    return { content: [{ type: 'text', text: 'Prompt list change announced' }] }
  },
})
