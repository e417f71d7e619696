import { z } from 'zod'
import { definePrompt } from '../../define-prompt.js'

export default definePrompt({
  name: 'test_prompt_with_embedded_resource',
  title: 'Prompt With Embedded Resource',
  description: 'Conformance fixture: a prompt that embeds a resource.',
  argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
  build({ resourceUri }) {
    return {
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }
  },
})
