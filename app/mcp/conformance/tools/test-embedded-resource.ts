import { defineTool } from '../../define.js'

export default defineTool({
  name: 'test_embedded_resource',
  description: 'Conformance fixture: answers with one embedded text resource.',
  inputSchema: {},
  async run() {
    return { content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }] }
  },
})
