/** How big and long a benchmark run is. Every loop of the harness is bounded by these numbers. */
export interface Profile {
  name: 'full' | 'quick' | 'smoke'
  repetitions: number
  /** Session counts of the two call tests (the 50 and 500). */
  levels: [number, number]
  /** Sessions opened, held idle and checked in the memory test (the 2 000). */
  idleSessions: number
  /** Sessions opened before the memory baseline, so lazy start-up costs are not charged to sessions. */
  baselineSessions: number
  /** Sessions opening at once. */
  concurrency: number
  warmupMs: number
  callMs: number
  /** Pause before reading RSS, so freed request garbage is not charged to idle sessions. */
  settleMs: number
  relaySessions: number
  relayMs: number
  /** OTEL_BSP_SCHEDULE_DELAY of the runs with tracing on: short enough that spans leave within the measured window. */
  spanExportDelayMs: number
}

export const PROFILES: Record<Profile['name'], Profile> = {
  // ≈ 25 min on 2 busy cores: 5 repetitions × 3 tests × 9 server runs (4 on legacy SSE, 5 on Streamable HTTP),
  // plus the relay pair and, on each transport, three more runs of our server at 500 sessions (OAuth tokens;
  // tracing on with each of two samplers; ≈ 15 s each).
  // Five, not the minimum three: on a shared machine one repetition's ratio can be off by half.
  full: { name: 'full', repetitions: 5, levels: [50, 500], idleSessions: 2000, baselineSessions: 20, concurrency: 50, warmupMs: 1000, callMs: 6000, settleMs: 1500, relaySessions: 20, relayMs: 3000, spanExportDelayMs: 1000 },
  // ≈ 2 min (plus ≈ 30 s once to build a baseline commit): one repetition at smaller counts; its ratios are
  // indicative only.
  quick: { name: 'quick', repetitions: 1, levels: [20, 100], idleSessions: 300, baselineSessions: 10, concurrency: 25, warmupMs: 300, callMs: 1500, settleMs: 500, relaySessions: 5, relayMs: 1000, spanExportDelayMs: 1000 },
  // The test suite's correctness run: a few sessions for a fraction of a second (30 idle ones, so that
  // opening them costs our server more than one 10 ms CPU tick and the per-session ratios exist).
  smoke: { name: 'smoke', repetitions: 1, levels: [2, 4], idleSessions: 30, baselineSessions: 2, concurrency: 4, warmupMs: 0, callMs: 300, settleMs: 0, relaySessions: 2, relayMs: 200, spanExportDelayMs: 100 },
}
