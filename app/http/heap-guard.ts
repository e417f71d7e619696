import { getHeapStatistics } from 'node:v8'
import type { FastifyBaseLogger } from 'fastify'

const SAMPLE_EVERY_MS = 100
/** Shedding stops this many points of the heap limit below where it started, so it does not flap. */
const HYSTERESIS_PERCENT = 10
/**
 * V8's `heap_size_limit` is the old generation's limit (`--max-old-space-size`) plus the young generation's
 * three semi-spaces of 16 MiB on 64-bit, and a heap runs out when the old generation reaches its own limit
 * (measured on Node 20: 64 → 112, 200 → 248, 512 → 560 MiB; the out-of-memory error came at 64 MiB used on
 * the first). Measured against the whole figure, a small heap died before it ever looked 85 % full.
 */
const YOUNG_GENERATION_BYTES = 48 * 1024 * 1024

/**
 * Watches the V8 heap against its limit (the task definition sets it, `--max-old-space-size`). Above the shed
 * mark the task takes no new work (503, readiness fails) until the heap is back under the mark less a margin:
 * a task that sheds load lives, a task that reaches the limit dies with every session on it. The heap counts
 * garbage until the next collection; once the load is shed V8's memory reducer collects it within seconds of
 * the allocation stopping, so the task comes back by itself.
 */
export class HeapGuard {
  private shedding = false
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly shedPercent: number,
    private readonly log: FastifyBaseLogger,
  ) {
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS).unref()
  }

  /** True while the heap is too full to take new work. */
  get pressed(): boolean {
    return this.shedding
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** Reads the heap now (the timer does every SAMPLE_EVERY_MS; a large body asks before it is read). */
  sample(): void {
    const { used_heap_size: used, heap_size_limit: heapLimit } = getHeapStatistics()
    const limit = heapLimit - YOUNG_GENERATION_BYTES
    const percent = (used / limit) * 100
    const shedding = this.shedding ? percent > this.shedPercent - HYSTERESIS_PERCENT : percent > this.shedPercent
    if (shedding === this.shedding) return
    this.shedding = shedding
    const heap = { usedMiB: Math.round(used / 1_048_576), limitMiB: Math.round(limit / 1_048_576) }
    if (shedding) this.log.warn({ event: 'memory_pressure', ...heap }, 'heap near its limit: refusing new work')
    else this.log.info({ event: 'memory_recovered', ...heap }, 'heap back under its mark: taking new work')
  }
}
