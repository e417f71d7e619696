import { defineTool } from '../../define.js'
import { elicitOnce } from '../elicitation.js'

/** SEP-1330: the five enum forms a form may use, single and multiple choice, titled and not. */
export default defineTool({
  name: 'test_elicitation_sep1330_enums',
  description: 'Conformance fixture: asks the user to choose from every enum form of SEP-1330.',
  inputSchema: {},
  async run(_args, { ctx }) {
    const titled = (prefix: string, word: string) => ['First', 'Second', 'Third'].map((ordinal, index) => ({ const: `${prefix}${index + 1}`, title: `${ordinal} ${word}` }))
    return elicitOnce(ctx, 'Elicitation completed', {
      message: 'Please select options from the enum fields',
      requestedSchema: {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
          titledSingle: { type: 'string', description: 'Select one option with titles', oneOf: titled('value', 'Option') },
          legacyEnum: { type: 'string', description: 'Select one option (legacy)', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
          untitledMulti: { type: 'array', description: 'Select multiple options', minItems: 1, maxItems: 3, items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
          titledMulti: { type: 'array', description: 'Select multiple options with titles', minItems: 1, maxItems: 3, items: { anyOf: titled('value', 'Choice') } },
        },
        required: [],
      },
    })
  },
})
