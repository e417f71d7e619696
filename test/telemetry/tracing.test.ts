import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { ensureBuilt } from '../helpers/build.js'
import { bearer, postJson, type Tap } from '../helpers/http.js'
import { SpanKind, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp.js'
import { counter, eventually, startTask, type Task } from '../helpers/processes.js'
import { ALICE, connect, resultJson, type TransportName } from '../helpers/server.js'

ensureBuilt()

// Traces and metrics per the OpenTelemetry MCP conventions, received by a real OTLP/HTTP receiver from real
// server processes driven by the official SDK clients (legacy SSE, 2025 Streamable HTTP, 2026-07-28).

const MODERN = '2026-07-28'
const REPORT_PACKAGES = join(import.meta.dirname, '../fixtures/report-otel-packages.mjs')

/** Exports every 100 ms (spans) and 500 ms (metrics), so a test waits for them briefly. */
const EXPORT_SOON = { OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '500', OTEL_SERVICE_NAME: 'mcp-under-test' }

function tracedTask(t: Tap, receiver: { url: string }, env: Record<string, string> = {}): Promise<Task> {
  return startTask(t, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...EXPORT_SOON, ...env })
}

/** A W3C trace context as a client would put it in `params._meta`. */
function clientContext() {
  const traceId = randomBytes(16).toString('hex')
  const spanId = randomBytes(8).toString('hex')
  return { traceId, spanId, meta: { traceparent: `00-${traceId}-${spanId}-01` } }
}

type Era = TransportName | 'modern'
const ERAS: Era[] = ['sse', 'streamable-http', 'modern']

async function clientOf(t: Tap, task: Task, era: Era): Promise<Client> {
  if (era !== 'modern') return connect(t, task.url, ALICE, era)
  const client = new Client({ name: 'trace-test', version: '1.0.0' }, { capabilities: {}, versionNegotiation: { mode: { pin: MODERN } } })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${task.url}/mcp`), { requestInit: { headers: bearer(ALICE) } }))
  t.teardown(() => client.close())
  return client
}

const spanNamed = (receiver: OtlpReceiver, name: string, traceId: string) => receiver.spansWhen((spans) => spans.some((span) => span.name === name && span.traceId === traceId)).then((spans) => spans.find((span) => span.name === name && span.traceId === traceId))

t.test('every era: one SERVER span per request, continuing the traceparent in _meta, linked to its HTTP span, with the conventions’ attributes', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const task = await tracedTask(t, receiver)
  for (const era of ERAS) {
    const client = await clientOf(t, task, era)
    const { traceId, spanId, meta } = clientContext()
    t.equal(resultJson(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 }, _meta: meta })).sum, 5, `${era}: the call is answered`)
    const span = await spanNamed(receiver, 'tools/call add', traceId)
    if (!t.ok(span, `${era}: a span named "tools/call add" in the client's trace`)) continue
    t.equal(span!.kind, SpanKind.server, `${era}: SERVER`)
    t.equal(span!.parentSpanId, spanId, `${era}: its parent is the span the client named in _meta`)
    t.match(span!.attributes, {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'add',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': /^\d+$/,
      'network.transport': 'tcp',
      'mcp.protocol.version': era === 'modern' ? MODERN : '2025-11-25',
      'user.id': 'alice',
    }, `${era}: the conventions' attributes, the principal's name`)
    t.notOk('error.type' in span!.attributes, `${era}: no error.type on a good call`)
    t.notOk('jsonrpc.protocol.version' in span!.attributes, `${era}: no jsonrpc.protocol.version, recommended only when not 2.0`)
    if (era === 'modern') t.notOk('mcp.session.id' in span!.attributes, 'modern: no session id, there is none')
    else t.match(span!.attributes['mcp.session.id'], /^v1\./, `${era}: the session id`)
    t.equal(span!.resource['service.name'], 'mcp-under-test', `${era}: OTEL_SERVICE_NAME names the service`)
    const http = receiver.spans.find((candidate) => candidate.spanId === span!.links[0]?.spanId)
    t.match(http, { kind: SpanKind.server, name: era === 'sse' ? 'POST /messages' : 'POST /mcp', attributes: { 'http.request.method': 'POST' } }, `${era}: linked to the HTTP SERVER span of the POST that carried it`)
    const serialized = JSON.stringify(receiver.spans)
    t.notOk(serialized.includes(ALICE), `${era}: the key appears in no span`)
  }
})

t.test('without a traceparent in _meta, the span continues the HTTP traceparent header', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const task = await tracedTask(t, receiver)
  const { traceId, spanId, meta } = clientContext()
  const client = await connect(t, task.url, ALICE, 'streamable-http', { headers: meta })
  await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })
  const span = await spanNamed(receiver, 'tools/call add', traceId)
  const http = receiver.spans.find((candidate) => candidate.spanId === span?.links[0]?.spanId)
  t.equal(span?.parentSpanId, spanId, "the request's span is a child of the header's context")
  t.match(http, { name: 'POST /mcp', traceId, parentSpanId: spanId }, 'as is the HTTP span it links to')
})

t.test('a tool answering isError is error.type tool_error; its upstream call is a CLIENT child span whose context reaches upstream', async (t) => {
  const upstreamTraceparents: string[] = []
  const upstream = createServer((request, response) => {
    upstreamTraceparents.push(String(request.headers.traceparent))
    response.writeHead(500).end('down')
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())))
  const receiver = await startOtlpReceiver(t)
  const task = await tracedTask(t, receiver, { MCP_WEATHER_URL: `http://127.0.0.1:${(upstream.address() as { port: number }).port}/forecast` })
  const client = await clientOf(t, task, 'streamable-http')
  const { traceId, meta } = clientContext()
  const result = await client.callTool({ name: 'get_weather', arguments: { latitude: 1, longitude: 2 }, _meta: meta })
  t.equal(result.isError, true, 'the tool answered isError (upstream 500)')
  const call = await spanNamed(receiver, 'tools/call get_weather', traceId)
  t.match(call?.attributes, { 'error.type': 'tool_error' }, 'error.type tool_error under a healthy HTTP 200')
  t.equal(call?.status, 2, 'and the span status is error')
  const upstreamSpan = (await receiver.spansWhen((spans) => spans.some((span) => span.kind === SpanKind.client && span.parentSpanId === call?.spanId))).find((span) => span.parentSpanId === call?.spanId)
  t.match(upstreamSpan, { name: 'GET', kind: SpanKind.client, traceId, attributes: { 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'http.response.status_code': 500, 'url.full': /\/forecast$/ } }, 'the upstream request is a CLIENT child span with the HTTP conventions (no query string)')
  t.equal(upstreamTraceparents[0]?.split('-')[1], traceId, 'upstream received the trace id')
  t.equal(upstreamTraceparents[0]?.split('-')[2], upstreamSpan?.spanId, 'with the CLIENT span as its parent')
})

t.test('progress notifications are events of the call’s span; a JSON-RPC error is error.type its code', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const task = await tracedTask(t, receiver)
  const client = await clientOf(t, task, 'sse')
  const { traceId, meta } = clientContext()
  let progressed = 0
  await client.callTool({ name: 'long_task', arguments: { steps: 3, stepMs: 10 }, _meta: meta }, { onprogress: () => progressed++ })
  const span = await spanNamed(receiver, 'tools/call long_task', traceId)
  const events = span?.events.filter((event) => event.name === 'mcp.progress') ?? []
  t.ok(progressed > 0, 'the client saw progress')
  t.same(events.map((event) => event.attributes), [1, 2, 3].map((progress) => ({ progress, total: 3 })), 'one span event per progress notification the tool sent (one per step), with its progress')

  const failed = clientContext()
  await t.rejects(client.readResource({ uri: 'nothing://here', _meta: failed.meta }), 'an unknown resource is a JSON-RPC error')
  const read = await spanNamed(receiver, 'resources/read', failed.traceId)
  t.match(read?.attributes, { 'mcp.method.name': 'resources/read', 'mcp.resource.uri': 'nothing://here', 'error.type': /^-?\d+$/ }, 'error.type is the JSON-RPC error code; the URI is an attribute, not in the name')
  t.equal(read?.attributes['rpc.response.status_code'], read?.attributes['error.type'], 'and the response status code')
})

t.test('the metrics of the conventions are exported over OTLP beside Prometheus', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const task = await tracedTask(t, receiver)
  const client = await clientOf(t, task, 'streamable-http')
  await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } })
  await (client.transport as StreamableHTTPClientTransport).terminateSession()
  const seen = (name: string, match: (point: Record<string, unknown>) => boolean) => receiver.metrics.some((metric) => metric.name === name && metric.unit === 's' && metric.points.some(match))
  t.ok(await eventually(() => seen('mcp.server.operation.duration', (point) => point['mcp.method.name'] === 'tools/call' && point['gen_ai.tool.name'] === 'add'), 15_000, 100), 'mcp.server.operation.duration, in seconds, by method and tool')
  t.ok(await eventually(() => seen('mcp.server.session.duration', (point) => point['mcp.protocol.version'] === '2025-11-25'), 15_000, 100), 'mcp.server.session.duration once the session closed')
  const operation = receiver.metrics.find((metric) => metric.name === 'mcp.server.operation.duration')
  t.notOk(JSON.stringify(operation).includes('mcp.session.id'), 'no session id or request id in metric attributes (cardinality)')
  t.notOk(JSON.stringify(operation).includes('jsonrpc.protocol.version'), 'no jsonrpc.protocol.version: MCP is always JSON-RPC 2.0')
  t.ok((await counter(task, 'mcp_tool_calls_total', 'tool="add"')) >= 1, 'Prometheus still counts the call')
})

t.test('OTEL_EXPORTER_OTLP_PROTOCOL=http/json exports JSON', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const task = await tracedTask(t, receiver, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })
  const client = await clientOf(t, task, 'modern')
  const { traceId, spanId, meta } = clientContext()
  await client.callTool({ name: 'add', arguments: { a: 1, b: 2 }, _meta: meta })
  const span = await spanNamed(receiver, 'tools/call add', traceId)
  t.equal(span?.parentSpanId, spanId, 'the span arrived, parented as sent')
  t.same([...receiver.contentTypes], ['application/json'], 'every export was JSON')
})

/** A 2026-07-28 client that fulfils input requests: sampling with a fixed answer, elicitation with `content`. */
async function fulfillingClient(t: Tap, task: Task, content: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'trace-mrtr', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN } } })
  client.setRequestHandler('sampling/createMessage', async () => ({ model: 'stub', role: 'assistant', content: { type: 'text', text: 'a short summary' } }))
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content }))
  await client.connect(new StreamableHTTPClientTransport(new URL(`${task.url}/mcp`), { requestInit: { headers: bearer(ALICE) } }))
  t.teardown(() => client.close())
  return client
}

/** The spans of one tool's calls, once `count` of them have arrived: in the order they ended, which for rounds is the order they ran. */
const callSpans = async (receiver: OtlpReceiver, name: string, count: number) =>
  (await receiver.spansWhen((spans) => spans.filter((span) => span.name === name).length >= count)).filter((span) => span.name === name)

t.test('an input-required round (MRTR) and its retry are one trace, with no traceparent from the client', async (t) => {
  const receiver = await startOtlpReceiver(t)
  // Not production: the conformance fixtures include a tool whose requestState the SDK verifies (HMAC).
  const task = await tracedTask(t, receiver, { NODE_ENV: 'test', MCP_CONFORMANCE_FIXTURES: '1' })
  const client = await fulfillingClient(t, task, { name: 'Ada', color: 'green' })

  const summary = await client.callTool({ name: 'summarize', arguments: { text: 'A text long enough to be worth a summary.' } })
  t.match(summary.content, [{ type: 'text', text: 'a short summary' }], 'summarize answered after its sampling round')
  const [asked, retried] = await callSpans(receiver, 'tools/call summarize', 2)
  t.equal(retried?.traceId, asked?.traceId, 'the retry is in the trace of the round that asked')
  t.equal(retried?.parentSpanId, asked?.spanId, 'as a child of that round')
  t.notOk(asked?.parentSpanId, 'which started the trace (the client sent no context)')

  const rounds = await client.callTool({ name: 'test_input_required_result_multi_round', arguments: {} })
  t.match(rounds.content, [{ type: 'text', text: 'Multi-round complete: Ada likes green' }], 'a tool with its own sealed requestState still gets it back intact')
  const [first, second, third] = await callSpans(receiver, 'tools/call test_input_required_result_multi_round', 3)
  t.same([second?.parentSpanId, third?.parentSpanId], [first?.spanId, second?.spanId], 'each round a child of the one before')
  t.ok([second, third].every((span) => span?.traceId === first?.traceId), 'all in one trace')
  t.ok([first, second, third].every((span) => !('error.type' in (span?.attributes ?? {}))), 'no round failed')
})

t.test('a retry carrying the round context of a task with tracing on is served by a task with tracing off', async (t) => {
  // A rollout that turns tracing on: the round that asked was answered by a task with tracing on (its traceparent
  // ahead of the requestState, as above), the retry reaches one without. Same process here, since the fixture's
  // requestState is sealed with a key of its own process; the carried context is put on as a traced task puts it.
  const task = await startTask(t, { NODE_ENV: 'test', MCP_CONFORMANCE_FIXTURES: '1' })
  const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } }, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } }
  const headers = { ...bearer(ALICE), 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'test_input_required_result_multi_round' }
  const call = async (id: number, more: Record<string, unknown> = {}) => {
    const response = await postJson(`${task.url}/mcp`, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'test_input_required_result_multi_round', arguments: {}, _meta: envelope, ...more } }, headers)
    t.equal(response.status, 200, `call ${id} answered 200`)
    return (await response.json()) as { result?: { resultType?: string; requestState?: string; inputRequests?: Record<string, unknown> }; error?: { code: number; message: string } }
  }
  const first = await call(1)
  t.equal(first.result?.resultType, 'input_required', 'the first round asks for input')
  t.notMatch(first.result?.requestState, /^otel-round:/, 'a task with tracing off carries no round context')
  const carried = `otel-round:00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01${first.result?.requestState ?? ''}`
  const retry = await call(2, { requestState: carried, inputResponses: { step1: { action: 'accept', content: { name: 'Ada' } } } })
  t.notOk(retry.error, `the fixture's sealed requestState still verifies (${retry.error?.message ?? 'no error'})`)
  t.equal(retry.result?.resultType, 'input_required', 'and the tool goes on to its second round')
  t.ok(retry.result?.inputRequests && 'step2' in retry.result.inputRequests, 'asking its second question')
})

t.test('a relayed request continues the trace on the owner task', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const owner = await tracedTask(t, receiver)
  const other = await tracedTask(t, receiver)
  const client = await clientOf(t, owner, 'streamable-http')
  const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!
  const { traceId, spanId, meta } = clientContext()
  const response = await postJson(`${other.url}/mcp`, { jsonrpc: '2.0', id: 77, method: 'tools/call', params: { name: 'add', arguments: { a: 4, b: 5 }, _meta: meta } }, { ...bearer(ALICE), 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' })
  t.equal(response.status, 200, 'the other task relayed the call to the owner')
  t.match(await response.text(), /\\"sum\\":9/, 'and it was answered')
  const call = await spanNamed(receiver, 'tools/call add', traceId)
  const relay = (await receiver.spansWhen((spans) => spans.some((span) => span.spanId === call?.parentSpanId))).find((span) => span.spanId === call?.parentSpanId)
  t.match(relay, { name: 'POST', kind: SpanKind.client, traceId, parentSpanId: spanId, attributes: { 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'server.port': owner.peerPort } }, "the owner's span is a child of the relaying task's CLIENT span, itself a child of the client's span")
  const servedRelay = (span: ReceivedSpan) => span.kind === SpanKind.server && span.name === 'POST /mcp' && span.parentSpanId === relay?.spanId
  t.ok((await receiver.spansWhen((spans) => spans.some(servedRelay))).some(servedRelay), "the owner's peer port served the relayed POST as a child of the relay span")
})

t.test('with the receiver hanging, calls are answered and the spans it cannot take are dropped and counted', async (t) => {
  const sockets = new Set<Socket>()
  const hanging = createTcpServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => hanging.close(() => resolve()))
  })
  const task = await tracedTask(t, { url: `http://127.0.0.1:${(hanging.address() as { port: number }).port}` }, { OTEL_BSP_MAX_QUEUE_SIZE: '20' })
  const client = await clientOf(t, task, 'streamable-http')
  let answered = 0
  for (let call = 0; call < 60; call++) if (resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal === 'alice') answered++
  t.equal(answered, 60, 'every call was answered while the exporter waited on the receiver')
  t.ok(await eventually(async () => (await counter(task, 'mcp_trace_spans_dropped_total')) > 0), 'spans past the queue bound were dropped, and counted')
  t.ok(sockets.size > 0, 'the exporter did try the receiver')
})

t.test('with no OTLP endpoint no OpenTelemetry SDK or exporter is loaded; with one, they are', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const loaded = async (env: Record<string, string>) => {
    const task = await startTask(t, { NODE_OPTIONS: `--import=${REPORT_PACKAGES}`, ...env })
    const client = await clientOf(t, task, 'streamable-http')
    await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } })
    // Ended, so that stopping does not wait for it to drain.
    await (client.transport as StreamableHTTPClientTransport).terminateSession()
    await task.child.stop()
    await eventually(() => task.child.output.includes('otel packages loaded'), 5_000)
    return JSON.parse(/otel packages loaded: (.*)/.exec(task.child.output)?.[1] ?? 'null') as string[] | null
  }
  const off = await loaded({})
  t.same(off, ['api'], 'off: only the API (whose calls are no-ops) is loaded')
  const on = await loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...EXPORT_SOON })
  t.ok(on?.includes('sdk-trace-node') && on.includes('exporter-trace-otlp-proto'), `on: the SDK and the protobuf exporter are (${on?.join(', ')})`)
})

t.test('a bad OTEL_ setting stops the server at start with one line naming it', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const { MAIN } = await import('../helpers/processes.js')
  const run = spawnSync(process.execPath, [MAIN], { env: { ...process.env, NODE_ENV: 'production', MCP_API_KEYS: `alice:${ALICE}`, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_SAMPLER_ARG: '2' }, encoding: 'utf8', timeout: 30_000 })
  t.equal(run.status, 78, 'exit 78 (configuration)')
  t.match(run.stderr, /OTEL_EXPORTER_OTLP_PROTOCOL.*grpc is not supported/, 'the protocol named')
  t.match(run.stderr, /OTEL_TRACES_SAMPLER_ARG.*ratio from 0 to 1/, 'the sampler argument named')
})
