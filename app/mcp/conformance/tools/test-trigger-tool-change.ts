import { defineTool } from '../../define.js'

/**
 * The stateless scenario's hook for "the tool list changed": announces it, so that open `subscriptions/listen`
 * streams asking for tool list changes are told (the catalog itself never changes at run time).
 */
export default defineTool({
  name: 'test_trigger_tool_change',
  description: 'Conformance fixture: announces that the tool list changed.',
  inputSchema: {},
  async run(_args, { services }) {
    services.changes.publish({ kind: 'tools_list_changed' })
    return { content: [{ type: 'text', text: 'Tool list change announced' }] }
  },
})
