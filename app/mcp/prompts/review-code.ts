import { z } from 'zod'
import { definePrompt, userPrompt } from '../define-prompt.js'

export default definePrompt({
  name: 'review_code',
  title: 'Review code',
  description: 'Asks for a code review of a snippet, optionally focused on one concern.',
  argsSchema: {
    code: z.string().min(1).describe('The code to review'),
    language: z.string().max(40).optional().describe('Programming language, e.g. "TypeScript"'),
    focus: z.enum(['correctness', 'security', 'performance', 'readability']).optional().describe('What the review should concentrate on'),
  },
  build({ code, language, focus }) {
    const what = language ? `this ${language} code` : 'this code'
    const emphasis = focus ? ` Concentrate on ${focus}.` : ''
    return userPrompt(
      `Code review${focus ? ` (${focus})` : ''}`,
      `Please review ${what}. Point out bugs and risks first, each with the line it concerns and a concrete fix.${emphasis}\n\n\`\`\`\n${code}\n\`\`\``,
    )
  },
})
