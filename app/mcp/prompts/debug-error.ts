// EXAMPLE prompt: how to remove it is in docs/tools.md, "The examples".
import { z } from 'zod'
import { definePrompt, userPrompt } from '../define-prompt.js'

export default definePrompt({
  name: 'debug_error',
  title: 'Debug an error',
  description: 'Asks for help finding the cause of an error message or stack trace, and how to fix it.',
  argsSchema: {
    error: z.string().min(1).describe('The error message or stack trace'),
    context: z.string().optional().describe('What was being done when it happened: command, code, recent changes'),
  },
  build({ error, context }) {
    const background = context ? `\n\nWhat I was doing:\n${context}` : ''
    return userPrompt(
      'Debug an error',
      `I got this error:\n\n\`\`\`\n${error}\n\`\`\`${background}\n\nExplain the most likely cause, how to confirm it, and how to fix it.`,
    )
  },
})
