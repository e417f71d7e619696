import { join } from 'node:path'
import { pushPaddedCalls, pushSlowUploads, type InputPush } from './load/heavy-input.js'
import { rssGrowth, type Pusher } from './load/never-reading.js'
import { pushOnOurServer } from './never-reading.js'

const MiB = 1024 * 1024

/** What one key sends, as test/http/input-bounds.test.ts sends it (which asserts the bounds). */
const PUSHES: { name: string; run: (pusher: Pusher) => Promise<InputPush> }[] = [
  { name: '30 long calls with 1 MiB of {} in _meta (2025 session)', run: (pusher) => pushPaddedCalls(pusher, 'streamable-http', 3, 10, 349_000) },
  { name: '30 long calls of 9 900 {} each (MCP 2026-07-28)', run: (pusher) => pushPaddedCalls(pusher, 'modern', 3, 10, 9_900) },
  { name: '300 uploads of 1 MiB stopped 10 bytes short', run: (pusher) => pushSlowUploads(pusher, 300, MiB) },
]

export interface HeavyInputResult {
  repetition: number
  push: string
  pid: number
  /** Requests the server held (taken, not answered) at the end of the push. */
  held: number
  /** Answers by status, e.g. `413 ×20, 429 ×10`. */
  refused: string
  rssBeforeMiB: number
  peakMiB: number
  growthMiB: number
  failures: number
  reasons: string[]
}

/**
 * Our server alone, on the task's heap and with the shipped input bounds (the benchmark raises only the limits
 * on request rate, sessions and requests in flight, RAISED_LIMITS): one key pushes what it sends, each push on
 * a fresh server; the figure is the server's RSS growth, peak against before.
 */
export async function measureHeavyInput(repetition: number, logDir: string): Promise<HeavyInputResult[]> {
  const results: HeavyInputResult[] = []
  for (const [index, { name, run }] of PUSHES.entries()) {
    const result: HeavyInputResult = { repetition, push: name, pid: 0, held: 0, refused: '', rssBeforeMiB: 0, peakMiB: 0, growthMiB: 0, failures: 0, reasons: [] }
    await pushOnOurServer(result, join(logDir, `${repetition}-heavy-input-${index}.log`), {}, async (pusher, pid) => {
      let push: InputPush = { held: 0, statuses: {} }
      Object.assign(result, await rssGrowth(pid, async () => void (push = await run(pusher))))
      result.held = push.held
      result.refused = Object.entries(push.statuses).map(([status, count]) => `${status} ×${count}`).join(', ')
    })
    results.push(result)
  }
  return results
}
