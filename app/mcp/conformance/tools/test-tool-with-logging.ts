import { setTimeout as sleep } from 'node:timers/promises'
import { defineTool } from '../../define.js'

export default defineTool({
  name: 'test_tool_with_logging',
  description: 'Conformance fixture: sends three log messages to the client while it runs, 50 ms apart.',
  inputSchema: {},
  async run(_args, { ctx, clientLog }) {
    for (const [index, message] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
      if (index > 0) await sleep(50, undefined, { signal: ctx.mcpReq.signal })
      await clientLog('info', message)
    }
    return { content: [{ type: 'text', text: 'Tool with logging executed successfully' }] }
  },
})
