import t from 'tap'
import { figureNames, lineup, runBenchmark } from '../../bench/harness.js'
import { PROFILES } from '../../bench/profiles.js'
import { REQUEST_SCOPED_CPU_FACTOR, TRACING_CPU_FACTOR, environment, judge, markdown, requestScopedTargets, serversOf, summarize, tokenTargets, tracingTargets } from '../../bench/report.js'
import { TRACING_SAMPLERS } from '../../bench/otlp-sink.js'
import { CALL_TRANSPORTS, TRANSPORTS } from '../../bench/load/session.js'
import { entryPoint } from '../../bench/servers.js'
import { isRunning } from '../helpers/processes.js'

// A correctness run of the benchmark harness (servers as built in dist/): every answer checked, every
// figure computed, every process it started gone. Speed is never asserted here. Building a baseline commit
// takes minutes, so this checkout's own build stands in for it: the baseline's place in the rotation, its
// columns and its targets are what is checked (bench/baseline.ts builds the real one for `npm run bench`).
t.test('benchmark smoke run: every server, both transports, every call answered right', async (t) => {
  const [low, high] = PROFILES.smoke.levels
  const baseline = { rev: 'this build', commit: 'HEAD', entry: entryPoint('us') }
  const results = await runBenchmark(PROFILES.smoke, () => {}, { baseline })

  t.same(lineup('sse', true), ['us', 'baseline', 'reference-v1', 'limit'], 'legacy SSE: no SDK v2 reference (v2 has no SSE server transport)')
  t.same(lineup('streamable-http', true), ['us', 'baseline', 'reference-v1', 'reference-v2', 'limit'], 'Streamable HTTP: both SDK references')
  for (const transport of TRANSPORTS) {
    t.same(serversOf(results, transport), lineup(transport, true), `${transport}: every server of the line-up measured`)
    t.equal(results.measurements.filter((m) => m.transport === transport).length, lineup(transport, true).length * 3, `${transport}: three tests per server`)
  }
  t.same(results.baseline, { rev: 'this build', commit: 'HEAD' }, 'the report names the baseline that ran')
  // Its calls tests ran beside ours, in turns, in two rounds (each server starting first once): each is
  // measured on two processes of its own, one per round, with calls on both sides.
  for (const transport of TRANSPORTS) {
    for (const test of [`calls @${low}`, `calls @${high}`]) {
      const pair = results.measurements.filter((m) => m.transport === transport && m.test === test && (m.server === 'us' || m.server === 'baseline'))
      t.same(pair.map((m) => `${m.server} ${m.pids.length}`), ['us 2', 'baseline 2'], `${transport} ${test}: ours and the baseline's, two rounds each`)
      t.ok(pair.every((m) => m.figures[figureNames.calls(Number(test.split('@')[1]))] > 0), `${transport} ${test}: both called`)
    }
  }
  for (const m of results.measurements) {
    t.equal(m.failures, 0, `${m.server} ${m.transport} ${m.test}: no failed call${m.reasons.length ? ` (${m.reasons.join('; ')})` : ''}`)
  }
  for (const transport of TRANSPORTS) {
    for (const line of summarize(results, transport)) {
      for (const server of lineup(transport, true)) t.ok(Number.isFinite(line.median[server]), `${transport} ${line.figure} ${server} is finite`)
      // A ratio may be infinite at smoke scale (the limit server can use less than one 10 ms CPU tick); never NaN.
      const ratios = [...Object.values(line.vs), line.vsBestReference]
      t.equal(ratios.length, lineup(transport, true).length, `${transport} ${line.figure}: a ratio to every other server and to the better reference`)
      t.ok(ratios.every((ratio) => !Number.isNaN(ratio)), `${transport} ${line.figure} ratios are computed`)
    }
  }
  t.same(lineup('modern', true), ['us', 'reference-modern', 'limit'], 'MCP 2026-07-28: us, the SDK v2 handler and the limit')
  t.same(serversOf(results, 'modern'), lineup('modern', true), 'modern: every server of the line-up measured')
  t.equal(results.measurements.filter((m) => m.transport === 'modern').length, lineup('modern', true).length * 2, 'modern: the two calls tests per server')
  const modern = summarize(results, 'modern')
  t.same(modern.map((line) => line.figure.split(' @')[0]), ['calls/s', 'p50 ms', 'p99 ms', 'CPU ms/call', 'calls/s', 'p50 ms', 'p99 ms', 'CPU ms/call'], 'modern: call figures only')
  for (const line of modern) t.ok(Object.values(line.median).every(Number.isFinite) && Object.values(line.vs).every((ratio) => !Number.isNaN(ratio)), `modern ${line.figure} computed`)
  t.equal(results.relay.length, TRANSPORTS.length, 'relay measured for both transports')
  for (const relay of results.relay) {
    t.ok(relay.direct && Number.isFinite(relay.direct.p99) && Number.isFinite(relay.direct.cpuMsPerCall), `${relay.transport}: direct calls on the owner measured`)
    t.equal(relay.failures, 0, `${relay.transport}: no failed call around the relay`)
  }

  // Our server with OAuth on, the larger calls test with access tokens: measured, paired with the key, reported.
  t.same(results.tokens.map((run) => run.transport), CALL_TRANSPORTS, 'the calls with tokens ran on every transport, once each')
  for (const run of results.tokens) {
    t.equal(run.failures, 0, `${run.transport}: no failed call with a token${run.reasons.length ? ` (${run.reasons.join('; ')})` : ''}`)
    t.ok([figureNames.calls(high), figureNames.p99(high), figureNames.cpu(high)].every((name) => Number.isFinite(run.figures[name])), `${run.transport}: calls/s, p99 and CPU per call with tokens measured`)
    t.ok([figureNames.calls(high), figureNames.p99(high), figureNames.cpu(high)].every((name) => Number.isFinite(run.sameServerKey?.[name])), `${run.transport}: and with the key on the same server, in turns`)
    t.ok(run.counted.started >= 1 && run.counted.afterCalls >= run.counted.started, `${run.transport}: the authorization server counted our server's start-up JWKS fetch, and counted again after the calls`)
  }
  const tokens = tokenTargets(results)
  t.same(tokens.map((target) => target.transport), CALL_TRANSPORTS, 'token ÷ key judged on every transport')
  t.ok(tokens.every((target) => !Number.isNaN(target.ratio) && Number.isFinite(target.key) && Number.isFinite(target.variant) && Number.isInteger(target.jwksFetched)), 'each paired with the key on the same server')
  t.same(tokens.map((target) => target.key), CALL_TRANSPORTS.map((transport) => results.tokens.find((run) => run.transport === transport)!.sameServerKey![figureNames.cpu(high)]), 'the key figure judged is the same server\'s, not the OAuth-off run\'s')

  // Our server with tracing on, each sampler, exporting to the OTLP sink: measured, paired with tracing off, reported.
  const samplers = Object.keys(TRACING_SAMPLERS)
  t.same(results.tracing.map((run) => `${run.transport} ${run.sampler}`), CALL_TRANSPORTS.flatMap((transport) => samplers.map((sampler) => `${transport} ${sampler}`)), 'tracing on ran on every transport with each sampler, once each')
  for (const run of results.tracing) {
    t.equal(run.failures, 0, `${run.transport} ${run.sampler}: no failed call with tracing on${run.reasons.length ? ` (${run.reasons.join('; ')})` : ''}`)
    t.ok([figureNames.calls(high), figureNames.p99(high), figureNames.cpu(high)].every((name) => Number.isFinite(run.figures[name])), `${run.transport} ${run.sampler}: calls/s, p99 and CPU per call with tracing on measured`)
    if (run.sampler === 'every call') t.ok(run.counted.afterCalls > run.counted.started, `${run.transport}: with every call sampled, the sink took trace exports while the sessions called (${run.counted.started} → ${run.counted.afterCalls})`)
  }
  const tracing = tracingTargets(results)
  t.same(tracing.map((target) => `${target.transport} ${target.sampler} ${target.met === undefined ? 'reported' : 'judged'}`), samplers.flatMap((sampler) => CALL_TRANSPORTS.map((transport) => `${transport} ${sampler} ${sampler === 'every call' ? 'judged' : 'reported'}`)), 'every call sampled judged on every transport, the 10 % sampler reported')
  t.ok(tracing.every((target) => !Number.isNaN(target.ratio) && Number.isFinite(target.key) && Number.isFinite(target.variant) && target.exports.length === 1), 'each paired with the tracing-off run of the same repetition, its exports counted')

  // MCP 2026-07-28 requests against session calls: on one server in turns, and through the Lambda handler.
  t.equal(results.requestScoped.length, 1, 'the request-scoped run ran once')
  for (const run of results.requestScoped) {
    t.equal(run.failures, 0, `request-scoped: no failed call${run.reasons.length ? ` (${run.reasons.join('; ')})` : ''}`)
    t.ok([run.session[figureNames.cpu(high)], run.container[figureNames.cpu(high)], run.handler[figureNames.cpu(low)]].every(Number.isFinite), 'CPU per call of session calls, container requests and handler requests measured')
    t.ok(run.standInAlone[figureNames.calls(low)] > 0 && Number.isFinite(run.standInAlone[figureNames.cpu(low)]), 'the stand-in alone answered its calls (the canned whoami passed the client’s check), its CPU per call measured')
  }
  t.same(requestScopedTargets(results).map((target) => target.path), ['container', 'Lambda handler'], 'both request-scoped paths judged against the session call')

  t.same(results.neverReading.map((pushed) => pushed.transport), [...TRANSPORTS], 'a never-reading client pushed on both transports')
  for (const pushed of results.neverReading) {
    t.equal(pushed.failures, 0, `${pushed.transport}: the never-reading push ran${pushed.reasons.length ? ` (${pushed.reasons.join('; ')})` : ''}`)
    t.ok(pushed.answers > 0 && Number.isFinite(pushed.growthMiB) && pushed.peakMiB >= pushed.rssBeforeMiB, `${pushed.transport}: answers pushed, RSS growth measured`)
  }

  const targets = judge(results)
  t.ok(targets.length > 0 && targets.every((target) => !Number.isNaN(target.ratio)), 'every target judged on a computed ratio')
  const issueTargets = targets.filter((target) => target.kind !== 'standing').map((target) => `${target.transport} ${target.figure} ${target.against} ${target.factor}`)
  t.same(issueTargets, [
    `streamable-http CPU ms/call @${high} limit 3`,
    `streamable-http CPU ms/call @${high} limit 2.5`,
    `streamable-http calls/s @${high} best reference 2`,
    'streamable-http KiB/idle session limit 1.7',
    ...TRANSPORTS.flatMap((transport) => [
      `${transport} calls/s @${low} baseline 0.95`,
      `${transport} CPU ms/call @${low} baseline 1.05`,
      `${transport} calls/s @${high} baseline 0.95`,
      `${transport} CPU ms/call @${high} baseline 1.05`,
      `${transport} KiB/idle session baseline 1.05`,
    ]),
    `modern calls/s @${high} reference-modern 1.3`,
  ], "issue 14's, issue 21's (within 5 % of the baseline on every transport it speaks) and issue 15's targets, each judged")
  t.match(targets.find((target) => target.against === 'best reference' && target.transport === 'streamable-http')?.detail, /reference-v1 .*×, reference-v2 .*×/, 'judged against the better reference, both named')
  const report = markdown(results, environment())
  t.match(report, /## OAuth access tokens instead of the key[\s\S]*\| streamable-http \| 1 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/, 'the report shows the token run beside the key on its server and the OAuth-off run')
  t.match(report, new RegExp(`^- (MET {3}|MISSED) streamable-http: CPU ms/call @${high} with a token at most 1.05× the key's on the same server \\(is [\\d.]+×`, 'm'), 'the report judges the token against the key on the same server')
  t.match(report, /^- (MET {3}|MISSED) JWKS fetched while the sessions opened and called: 0 \(is \d+\)/m, 'the report says whether the JWKS was fetched on the call path')
  t.match(report, /## Tracing on \(our server\)[\s\S]*\| modern \| 1 \| every call \| [\d.]+ \| [\d.]+ \| [\d.]+ \|[\s\S]*\| modern \| 1 \| parent-based 10 % \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/, 'the report shows each tracing run beside the tracing-off run')
  t.match(report, new RegExp(`^- (MET {3}|MISSED) streamable-http: CPU ms/call @${high} with tracing on, every call sampled, at most ${TRACING_CPU_FACTOR}× tracing off \\(is [\\d.]+×`, 'm'), 'the report judges every call sampled against tracing off')
  t.match(report, new RegExp(`^- REPORTED sse: CPU ms/call @${high} with tracing on, parent-based 10 %, against tracing off: [\\d.]+×`, 'm'), "the report gives the 10 % sampler's ratio")
  t.match(report, /^- (MET {3}|MISSED) spans left while the sessions opened and called, in every run with tracing on: at least 1 trace export \(fewest \d+\)/m, 'the report says whether spans left in every run')
  t.match(report, /^- NOT JUDGED HERE tracing off within 2 % of the build before tracing: .*--baseline <rev>/m, 'the report says where tracing off is judged')
  t.match(report, /\| failures \(total\) \| 0 \| 0 \| 0 \| 0 \| 0 \|/, 'the report shows the failure counts of all five Streamable HTTP servers')
  t.match(report, /^- (MET {3}|MISSED) sse: calls\/s @\d+ at least 0\.95× baseline/m, 'the report judges legacy SSE against the baseline')
  t.match(report, /## MCP 2026-07-28[\s\S]*÷ us on a 2025 Streamable HTTP session, calls\/s @\d+: [\d.]+×[\s\S]*## Targets of issue 15\n\n- (MET {3}|MISSED) modern: calls\/s/, 'the report shows the modern table, its ratio to our sessions and its target')

  t.equal(results.heavyInput.length, 3, 'three input pushes ran')
  for (const pushed of results.heavyInput) {
    t.equal(pushed.failures, 0, `${pushed.push}: the push ran${pushed.reasons.length ? ` (${pushed.reasons.join('; ')})` : ''}`)
    t.ok(pushed.refused.includes('429') || pushed.refused.includes('413'), `${pushed.push}: the key was refused past its bounds (${pushed.refused})`)
  }
  t.match(report, new RegExp(`## A request-scoped call against a session call[\\s\\S]*\\| 1 \\| [\\d.]+ \\|[\\s\\S]*^- (MET {3}|MISSED) container: CPU ms/call of an MCP 2026-07-28 call at most ${REQUEST_SCOPED_CPU_FACTOR}× a 2025 session call's \\(is [\\d.]+×[\\s\\S]*^- (MET {3}|MISSED) Lambda handler: [\\s\\S]*^- INFO {3}Lambda handler less the stand-in alone: -?[\\d.]+ ms/call`, 'm'), 'the report shows the request-scoped table, judges both paths and gives the handler’s own share')
  t.match(report, /### What one key sends[\s\S]*\| 300 uploads of 1 MiB stopped 10 bytes short \| 1 \| \d+ \|/, 'the report shows the input pushes')
  t.match(report, /## A client that never reads[\s\S]*\| sse \| 1 \| \d+ \|[\s\S]*\| streamable-http \| 1 \| \d+ \|/, 'the report shows the never-reading figures of both transports')

  const pids = [...results.measurements.flatMap((m) => m.pids), ...results.relay.flatMap((relay) => relay.pids), ...results.requestScoped.flatMap((run) => run.pids), ...results.tokens.flatMap((run) => run.pids), ...results.tracing.flatMap((run) => run.pids), ...results.neverReading.map((pushed) => pushed.pid), ...results.heavyInput.map((pushed) => pushed.pid)]
  t.equal(new Set(pids).size, pids.length, 'every test ran on a freshly started process')
  t.same(pids.filter(isRunning), [], 'every process the benchmark started is gone')
})

t.test('a run without a baseline says so and judges nothing against it', async (t) => {
  const results = { profile: PROFILES.smoke, measurements: [], relay: [], tokens: [], tracing: [], requestScoped: [], neverReading: [], heavyInput: [], baseline: { rev: 'nope', skipped: 'not a commit' } }
  t.notOk(judge(results).some((target) => target.against === 'baseline'), 'no target against a baseline that did not run')
  t.match(markdown(results, environment()), /## OAuth access tokens instead of the key[^\n]*\n\n- NOT MEASURED: no run with tokens/, 'a run without tokens says so, and claims nothing of the JWKS')
  t.match(markdown(results, environment()), /## Tracing on \(our server\)\n\n- NOT MEASURED: no run with tracing/, 'a run without tracing says so')
  t.match(markdown(results, environment()), /## A request-scoped call against a session call \(issue 26\)\n\n- NOT MEASURED: no request-scoped run/, 'a run without the request-scoped run says so')
  t.match(markdown(results, environment()), /NOT JUDGED sse, streamable-http: within 5 % of the baseline \(baseline nope: SKIPPED/, 'the report says loudly that it was skipped')
})
