import { setTimeout as sleep } from 'node:timers/promises'
import { defineTool } from '../../define.js'

export default defineTool({
  name: 'test_tool_with_progress',
  description: 'Conformance fixture: reports progress 0, 50 and 100 of 100 when the caller sends a progress token.',
  inputSchema: {},
  async run(_args, { ctx }) {
    // Progress only for a caller that asked for it with a token (the spec forbids it otherwise).
    const progressToken = ctx.mcpReq._meta?.progressToken
    if (progressToken !== undefined) {
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await sleep(50, undefined, { signal: ctx.mcpReq.signal })
        await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` } })
      }
    }
    return { content: [{ type: 'text', text: String(progressToken ?? 'no-progress-token') }] }
  },
})
