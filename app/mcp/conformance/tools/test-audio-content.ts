import { defineTool } from '../../define.js'
import { TEST_AUDIO_BASE64 } from '../media.js'

export default defineTool({
  name: 'test_audio_content',
  description: 'Conformance fixture: answers with one audio block (WAV).',
  inputSchema: {},
  async run() {
    return { content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }] }
  },
})
