import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { FastifyBaseLogger } from 'fastify'

const SAMPLE_EVERY_MS = 100
/** Shedding stops this many points of the heap limit below where it started, so it does not flap. */
const HYSTERESIS_PERCENT = 10
const MiB = 1024 * 1024
/** While shedding, how often the guard has V8 collect the old generation (see collectGarbage). */
const COLLECT_EVERY_MS = 2_000

/**
 * V8's full collection, as `gc()` with --expose-gc: the flag set at run time exposes it to new contexts (what the
 * `expose-gc` package does). A shed task goes quiet and its garbage must still be collected for it to come back:
 * Node 20's memory reducer did it within seconds, Node 24's does not (--trace-memory-reducer: "high alloc,
 * foreground", "waiting for 8000 ms", again and again, while /ready was polled), and the garbage of the shed load
 * stayed counted for as long as the test waited.
 */
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/**
 * The old generation's limit, where a heap runs out: `--max-old-space-size` as Node was started with it (the
 * task definition sets it in NODE_OPTIONS; a command-line flag comes after NODE_OPTIONS and wins, as in V8).
 * V8's `heap_size_limit` is that plus the young generation's reservation, whose size V8 picks by version and
 * machine (measured: 48 MiB on Node 20, 192 MiB on Node 24 on the same machine, for every old-space size from
 * 16 MiB to 6 GiB), so a small heap measured against it died before it ever looked full. Without the flag,
 * `heap_size_limit` is the only figure there is (V8's default heap is large, and sheds well before it).
 */
function oldGenerationLimit(heapSizeLimit: number, nodeOptions = process.env.NODE_OPTIONS ?? '', execArgv = process.execArgv): number {
  const flags = [...`${nodeOptions} ${execArgv.join(' ')}`.matchAll(/--max[-_]old[-_]space[-_]size[= ](\d+)/g)]
  const last = flags.at(-1)
  return last ? Number(last[1]) * MiB : heapSizeLimit
}

/**
 * What counts against that limit: every space but the young generation's. Its garbage stays counted until the
 * next scavenge, which an idle task never runs, and on Node 24 it can hold 64 MiB (a semi-space), half of a
 * small heap: counted, it kept a task that had shed its load shedding.
 */
function oldGenerationUsed(): number {
  return getHeapSpaceStatistics()
    .filter((space) => !space.space_name.startsWith('new_'))
    .reduce((sum, space) => sum + space.space_used_size, 0)
}

/**
 * Watches the V8 heap against its limit (the task definition sets it, `--max-old-space-size`). Above the shed
 * mark the task takes no new work (503, readiness fails) until the heap is back under the mark less a margin:
 * a task that sheds load lives, a task that reaches the limit dies with every session on it. The heap counts
 * garbage until the next collection, so while shedding the guard has V8 collect every COLLECT_EVERY_MS, and once
 * the load is gone the task comes back by itself.
 */
export class HeapGuard {
  private shedding = false
  private collectedAt = 0
  private readonly timer: NodeJS.Timeout
  private readonly limit = oldGenerationLimit(getHeapStatistics().heap_size_limit)

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
    if (this.shedding && Date.now() - this.collectedAt >= COLLECT_EVERY_MS) {
      this.collectedAt = Date.now()
      collectGarbage()
    }
    const used = oldGenerationUsed()
    const percent = (used / this.limit) * 100
    const shedding = this.shedding ? percent > this.shedPercent - HYSTERESIS_PERCENT : percent > this.shedPercent
    if (shedding === this.shedding) return
    this.shedding = shedding
    const heap = { usedMiB: Math.round(used / MiB), limitMiB: Math.round(this.limit / MiB) }
    if (shedding) this.log.warn({ event: 'memory_pressure', ...heap }, 'heap near its limit: refusing new work')
    else this.log.info({ event: 'memory_recovered', ...heap }, 'heap back under its mark: taking new work')
  }
}
