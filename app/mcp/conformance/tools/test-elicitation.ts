import { z } from 'zod'
import { defineTool } from '../../define.js'
import { elicitOnce } from '../elicitation.js'

export default defineTool({
  name: 'test_elicitation',
  description: 'Conformance fixture: asks the user for one string (elicitation) and answers with what came back.',
  inputSchema: { message: z.string().max(10_000).describe('The message to show the user') },
  async run({ message }, { ctx }) {
    return elicitOnce(ctx, 'User response', {
      message,
      requestedSchema: { type: 'object', properties: { response: { type: 'string', description: "User's response" } }, required: ['response'] },
    })
  },
})
