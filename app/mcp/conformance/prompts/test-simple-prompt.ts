import { definePrompt, userPrompt } from '../../define-prompt.js'

export default definePrompt({
  name: 'test_simple_prompt',
  title: 'Simple Test Prompt',
  description: 'Conformance fixture: a prompt without arguments.',
  argsSchema: {},
  build() {
    return userPrompt('A simple prompt without arguments', 'This is a simple prompt for testing.')
  },
})
