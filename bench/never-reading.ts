import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Socket } from 'node:net'
import { BIG_FILE, openUnreadStreamableHttpSession, pushLegacySse, pushStreamableHttp, rssGrowth, type Pusher } from './load/never-reading.js'
import type { TransportName } from './load/session.js'
import type { Profile } from './profiles.js'
import { BENCH_SECRET, startServer } from './servers.js'

/**
 * The server's heap in the 1 GiB task: the task definition gives V8 half the task memory (infra/container.ts,
 * NODE_OPTIONS), as V8 sizes it for a 1 GiB machine. On a host with many GiB the default heap is 4 GiB, and V8
 * lets the garbage of answers built for streams already ended grow several times the live heap before a
 * major GC (+122 to +172 MiB for the legacy SSE push here), which no task of ours does.
 */
export const TASK_HEAP = { NODE_OPTIONS: '--max-old-space-size=512' }
/** Requests in flight per session (the default MCP_MAX_IN_FLIGHT_PER_SESSION) and the stream bound, as shipped. */
const IN_FLIGHT = 16
const STREAMABLE_HTTP_LANES = 4
const STREAMABLE_HTTP_BATCH = 8

export interface NeverReadingResult {
  repetition: number
  transport: TransportName
  pid: number
  /** 1 MiB answers the server took for the unread streams (legacy SSE: POSTs answered 202; Streamable HTTP: batches answered). */
  answers: number
  /** Legacy SSE streams the server ended, or Streamable HTTP batches refused (429, in-flight bound). */
  endedOrRefused: number
  rssBeforeMiB: number
  peakMiB: number
  growthMiB: number
  failures: number
  reasons: string[]
}

/** A directory holding the 1 MiB file the push reads (MCP_FILES_ROOT). */
function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-bench-files-'))
  writeFileSync(join(dir, BIG_FILE), 'a'.repeat(1024 * 1024))
  return dir
}

/**
 * Our server alone (the references have no bound to measure), on the task's heap: one client pushes 1 MiB
 * read_file answers into streams it never reads for the profile's call time; the figure is the server's
 * RSS growth, peak against before. The same push as test/transports/slow-consumer.test.ts, which asserts it.
 */
export async function measureNeverReading(repetition: number, transport: TransportName, profile: Profile, logDir: string): Promise<NeverReadingResult> {
  const files = sandbox()
  const result: NeverReadingResult = { repetition, transport, pid: 0, answers: 0, endedOrRefused: 0, rssBeforeMiB: 0, peakMiB: 0, growthMiB: 0, failures: 0, reasons: [] }
  await pushOnOurServer(result, join(logDir, `${repetition}-${transport}-never-reading.log`), { MCP_FILES_ROOT: files }, async (pusher, pid) => {
    const headers = transport === 'streamable-http' ? await openUnreadStreamableHttpSession(pusher) : {}
    pusher.deadline = Date.now() + profile.callMs
    const growth = await rssGrowth(pid, async () => {
      if (transport === 'sse') {
        const push = await pushLegacySse(pusher, IN_FLIGHT)
        result.answers = push.answersQueued
        result.endedOrRefused = push.streamsEnded
      } else {
        const push = await pushStreamableHttp(pusher, headers, STREAMABLE_HTTP_LANES, STREAMABLE_HTTP_BATCH)
        result.answers = (push.json + push.events) * (STREAMABLE_HTTP_BATCH - 1)
        result.endedOrRefused = push.refused
      }
    })
    Object.assign(result, growth)
  })
  rmSync(files, { recursive: true, force: true })
  return result
}

/**
 * One push against a fresh server of ours on the task's heap: the push gets its pusher (the benchmark key, every
 * socket kept) and the server's pid; a failure is recorded on `result`; the sockets are closed and the server
 * stopped whatever happens.
 */
export async function pushOnOurServer(
  result: { pid: number; failures: number; reasons: string[] },
  logFile: string,
  env: Record<string, string>,
  push: (pusher: Pusher, pid: number) => Promise<void>,
): Promise<void> {
  const sockets: Socket[] = []
  const server = await startServer('us', { logFile, env: { ...TASK_HEAP, ...env } })
  result.pid = server.pid
  try {
    await push({ url: server.url, port: server.port, key: BENCH_SECRET, deadline: 0, keep: (socket) => sockets.push(socket) }, server.pid)
  } catch (error) {
    result.failures++
    result.reasons.push((error as Error).message)
  } finally {
    sockets.forEach((socket) => socket.destroy())
    await server.stop()
  }
}
