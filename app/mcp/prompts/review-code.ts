// EXAMPLE prompt: how to remove it is in docs/tools.md, "The examples".
import { z } from 'zod'
import { completable } from '@modelcontextprotocol/server'
import { definePrompt, userPrompt } from '../define-prompt.js'

/** Suggestions a client offers as the person types (`completion/complete`); any other text is accepted too. */
const LANGUAGES = ['TypeScript', 'JavaScript', 'Python', 'Go', 'Rust', 'Java', 'Kotlin', 'C#', 'C++', 'C', 'Ruby', 'PHP', 'Swift', 'Scala', 'Shell', 'SQL']
const FOCUSES = ['correctness', 'security', 'performance', 'readability', 'error handling', 'concurrency', 'memory leaks', 'tests']

/** The suggestions that start with what was typed so far, ignoring case. */
const startingWith = (choices: string[]) => (typed: string | undefined) => choices.filter((choice) => choice.toLowerCase().startsWith((typed ?? '').toLowerCase()))

export default definePrompt({
  name: 'review_code',
  title: 'Review code',
  description: 'Asks for a code review of a snippet, optionally focused on one concern.',
  argsSchema: {
    code: z.string().min(1).describe('The code to review'),
    language: completable(z.string().max(40).describe('Programming language, e.g. "TypeScript"'), startingWith(LANGUAGES)).optional(),
    focus: completable(z.string().max(100).describe('What the review should concentrate on, e.g. "security" or "memory leaks"'), startingWith(FOCUSES)).optional(),
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
