import { spawnSync } from 'node:child_process'
import { TASK_HEAP } from '../../bench/never-reading.js'

const MiB = 1024 * 1024

/**
 * The young generation's semi-space on the Node running the tasks, in MiB: V8's heap limit is the old generation
 * plus three of them. 16 on Node 20; 64 on Node 24 (V8 13: scavenger_max_new_space_capacity_mb 32 × 2 on 64-bit,
 * src/heap/heap.cc Heap::DefaultMaxSemiSpaceSize), whatever the old generation's size.
 */
function semiSpaceMiB(): number {
  const oldMiB = Number(/--max-old-space-size=(\d+)/.exec(TASK_HEAP.NODE_OPTIONS)?.[1])
  const limit = spawnSync(process.execPath, ['-p', "require('node:v8').getHeapStatistics().heap_size_limit"], { env: { ...process.env, ...TASK_HEAP }, encoding: 'utf8', timeout: 10_000 })
  return (Number(limit.stdout) / MiB - oldMiB) / 3
}

/**
 * What a task's RSS may grow by beyond a bound measured on Node 20's young generation, in MiB: a push fills the two
 * semi-spaces with garbage before V8 scavenges, and the objects it keeps there (the wrappers of socket buffers
 * among them) hold their memory until then. Four times larger on Node 24: 2 × (64 − 16) = 96 MiB there.
 */
export const YOUNG_GENERATION_ALLOWANCE_MIB = 2 * (semiSpaceMiB() - 16)
