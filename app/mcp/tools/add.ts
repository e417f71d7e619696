// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import { z } from 'zod'
import { defineTool, toolJson } from '../define.js'

export default defineTool({
  name: 'add',
  title: 'Add two numbers',
  description: 'Adds two finite numbers and returns their sum. Use it for exact arithmetic instead of guessing.',
  inputSchema: {
    a: z.number().finite().describe('The first addend'),
    b: z.number().finite().describe('The second addend'),
  },
  outputSchema: { sum: z.number() },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run({ a, b }) {
    return toolJson({ sum: a + b })
  },
})
