import t from 'tap'
import { runBenchmark } from '../../bench/harness.js'
import { PROFILES } from '../../bench/profiles.js'
import { environment, judge, markdown, summarize } from '../../bench/report.js'
import { TRANSPORTS } from '../../bench/load/session.js'
import { SERVER_KINDS } from '../../bench/servers.js'
import { isRunning } from '../helpers/processes.js'

// A correctness run of the benchmark harness (servers as built in dist/): every answer checked, every
// figure computed, every process it started gone. Speed is never asserted here.
t.test('benchmark smoke run: all three servers, both transports, every call answered right', async (t) => {
  const results = await runBenchmark(PROFILES.smoke)

  t.equal(results.measurements.length, SERVER_KINDS.length * TRANSPORTS.length * 3, 'three tests per server and transport')
  for (const m of results.measurements) {
    t.equal(m.failures, 0, `${m.server} ${m.transport} ${m.test}: no failed call${m.reasons.length ? ` (${m.reasons.join('; ')})` : ''}`)
  }
  for (const transport of TRANSPORTS) {
    for (const line of summarize(results, transport)) {
      for (const server of SERVER_KINDS) t.ok(Number.isFinite(line.median[server]), `${transport} ${line.figure} ${server} is finite`)
      // A ratio may be infinite at smoke scale (the limit server can use less than one 10 ms CPU tick); never NaN.
      t.ok(!Number.isNaN(line.vsReference) && !Number.isNaN(line.vsLimit), `${transport} ${line.figure} ratios are computed`)
    }
  }
  t.equal(results.relay.length, TRANSPORTS.length, 'relay measured for both transports')
  for (const relay of results.relay) {
    t.ok(relay.direct && Number.isFinite(relay.direct.p99) && Number.isFinite(relay.direct.cpuMsPerCall), `${relay.transport}: direct calls on the owner measured`)
    t.equal(relay.failures, 0, `${relay.transport}: no failed call around the relay`)
  }

  const targets = judge(results)
  t.ok(targets.length > 0 && targets.every((target) => !Number.isNaN(target.ratio)), 'every target judged on a computed ratio')
  t.match(markdown(results, environment()), /\| failures \(total\) \| 0 \| 0 \| 0 \|/, 'the report shows the failure counts')

  const pids = [...results.measurements.map((m) => m.pid), ...results.relay.flatMap((relay) => relay.pids)]
  t.equal(new Set(pids).size, pids.length, 'every test ran on a freshly started process')
  t.same(pids.filter(isRunning), [], 'every process the benchmark started is gone')
})
