import { z } from 'zod'
import { definePrompt, userPrompt } from '../../define-prompt.js'

export default definePrompt({
  name: 'test_prompt_with_arguments',
  title: 'Prompt With Arguments',
  description: 'Conformance fixture: a prompt with two required arguments.',
  argsSchema: { arg1: z.string().describe('First test argument'), arg2: z.string().describe('Second test argument') },
  build({ arg1, arg2 }) {
    return userPrompt('A prompt with required arguments', `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`)
  },
})
