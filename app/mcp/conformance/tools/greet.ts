import { z } from 'zod'
import { defineTool } from '../../define.js'

/** The tasks scenarios' control: a tool that always answers at once, never as a task. */
export default defineTool({
  name: 'greet',
  description: 'Conformance fixture: greets the given name synchronously.',
  inputSchema: { name: z.string().max(200).describe('Who to greet') },
  async run({ name }) {
    return { content: [{ type: 'text', text: `Hello, ${name}!` }] }
  },
})
