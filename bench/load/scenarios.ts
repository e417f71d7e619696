import { performance } from 'node:perf_hooks'
import { createSession, type BenchSession, type Target, type TransportName } from './session.js'

/** Failures of a scenario: how many, and the first few distinct reasons for the report. */
export class Failures {
  count = 0
  readonly reasons: string[] = []
  add(error: unknown): void {
    this.count++
    const reason = error instanceof Error ? error.message : String(error)
    if (this.reasons.length < 5 && !this.reasons.includes(reason)) this.reasons.push(reason)
  }
}

/** Runs `work(i)` for i < count with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) await work(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

export interface Established {
  sessions: BenchSession[]
  perSecond: number
}

/**
 * Opens `count` sessions (stream, initialize, initialized) with at most `concurrency` opening at once; the
 * target may differ by session (each its own access token).
 */
export async function establish(transport: TransportName, target: Target | ((index: number) => Target), count: number, concurrency: number, failures: Failures): Promise<Established> {
  const sessions: BenchSession[] = []
  const started = performance.now()
  await pool(count, concurrency, async (index) => {
    const session = createSession(transport, typeof target === 'function' ? target(index) : target)
    try {
      await session.open()
      sessions.push(session)
    } catch (error) {
      session.close()
      failures.add(error)
    }
  })
  const seconds = (performance.now() - started) / 1000
  return { sessions, perSecond: sessions.length / seconds }
}

/** Every session calls the tool back to back until `durationMs` is over; every answer is checked. */
export async function callBackToBack(sessions: BenchSession[], durationMs: number, failures: Failures): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = []
  const started = performance.now()
  const end = started + durationMs
  await Promise.all(
    sessions.map(async (session) => {
      while (performance.now() < end) {
        try {
          latencies.push(await session.call())
        } catch (error) {
          failures.add(error)
        }
      }
    }),
  )
  return { latencies, seconds: (performance.now() - started) / 1000 }
}

/** One checked call on every session, at most `concurrency` at once. */
export async function callEach(sessions: BenchSession[], concurrency: number, failures: Failures): Promise<void> {
  await pool(sessions.length, concurrency, async (index) => {
    try {
      await sessions[index].call()
    } catch (error) {
      failures.add(error)
    }
  })
}
