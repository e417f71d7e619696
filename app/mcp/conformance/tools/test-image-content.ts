import { defineTool } from '../../define.js'
import { TEST_IMAGE_BASE64 } from '../media.js'

export default defineTool({
  name: 'test_image_content',
  description: 'Conformance fixture: answers with one image block (PNG).',
  inputSchema: {},
  async run() {
    return { content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }] }
  },
})
