import { defineTool, toolError } from '../../define.js'

export default defineTool({
  name: 'test_error_handling',
  description: 'Conformance fixture: always fails, as a tool result with isError.',
  inputSchema: {},
  async run() {
    return toolError('This tool intentionally returns an error for testing')
  },
})
