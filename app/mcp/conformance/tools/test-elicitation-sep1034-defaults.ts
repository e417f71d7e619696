import { defineTool } from '../../define.js'
import { elicitOnce } from '../elicitation.js'

/** SEP-1034: a form whose every primitive field carries a default. */
export default defineTool({
  name: 'test_elicitation_sep1034_defaults',
  description: 'Conformance fixture: asks the user to fill a form whose fields all have default values (SEP-1034).',
  inputSchema: {},
  async run(_args, { ctx }) {
    return elicitOnce(ctx, 'Elicitation completed', {
      message: 'Please review and update the form fields with defaults',
      requestedSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'User name', default: 'John Doe' },
          age: { type: 'integer', description: 'User age', default: 30 },
          score: { type: 'number', description: 'User score', default: 95.5 },
          status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
          verified: { type: 'boolean', description: 'Verification status', default: true },
        },
        required: [],
      },
    })
  },
})
