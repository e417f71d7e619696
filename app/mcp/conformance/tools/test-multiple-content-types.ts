import { defineTool } from '../../define.js'
import { TEST_IMAGE_BASE64 } from '../media.js'

export default defineTool({
  name: 'test_multiple_content_types',
  description: 'Conformance fixture: answers with a text, an image and an embedded resource block.',
  inputSchema: {},
  async run() {
    return {
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
      ],
    }
  },
})
