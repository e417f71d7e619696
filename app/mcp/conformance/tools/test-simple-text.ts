import { defineTool } from '../../define.js'

export default defineTool({
  name: 'test_simple_text',
  description: 'Conformance fixture: answers with one text block.',
  inputSchema: {},
  async run() {
    return { content: [{ type: 'text', text: 'This is a simple text response for testing.' }] }
  },
})
