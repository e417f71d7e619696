// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { defineTool, toolError } from '../define.js'

export default defineTool({
  name: 'long_task',
  title: 'Long-running task',
  description:
    'Runs a task of several timed steps, reporting progress after each step when the caller asks for progress. ' +
    'Cancelling the call stops the work at once. Use it to try progress and cancellation in a client.',
  inputSchema: {
    steps: z.number().int().min(1).max(1000).default(10).describe('How many steps, 1 to 1000'),
    stepMs: z.number().int().min(1).max(60_000).default(500).describe('Milliseconds each step takes, 1 to 60000'),
  },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run({ steps, stepMs }, { ctx, log, clientLog }) {
    // The client asks for progress by sending a token; without one, no progress notifications are sent.
    const progressToken = ctx.mcpReq._meta?.progressToken
    // The signal aborts on notifications/cancelled and when the session ends: every wait below honours it.
    const { signal } = ctx.mcpReq
    let done = 0
    try {
      while (done < steps) {
        await sleep(stepMs, undefined, { signal })
        done += 1
        if (progressToken !== undefined) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress: done, total: steps, message: `Step ${done} of ${steps}` },
          })
        }
        await clientLog('debug', `Step ${done} of ${steps} done`)
      }
    } catch (error) {
      if (!signal.aborted) throw error
    }
    // Written once the loop has exited: the record of how far the work got.
    log.info({ event: 'long_task_ended', completedSteps: done, steps, cancelled: signal.aborted }, 'long_task ended')
    if (signal.aborted) return toolError(`Cancelled after ${done} of ${steps} steps`)
    return { content: [{ type: 'text', text: `Finished all ${steps} steps` }] }
  },
})
