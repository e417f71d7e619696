import { definePrompt } from '../../define-prompt.js'
import { TEST_IMAGE_BASE64 } from '../media.js'

export default definePrompt({
  name: 'test_prompt_with_image',
  title: 'Prompt With Image',
  description: 'Conformance fixture: a prompt that includes an image.',
  argsSchema: {},
  build() {
    return {
      messages: [
        { role: 'user', content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }
  },
})
