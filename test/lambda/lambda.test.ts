import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { catalogNames } from '../../app/mcp/catalog.js'
import { bearer, postJson, request, type Tap } from '../helpers/http.js'
import { eventually, freePort, spawnChild } from '../helpers/processes.js'
import { ALICE, BOB, KEYS, resultJson } from '../helpers/server.js'
import { BUNDLE, CAROL, HANDLER, MODERN, ROOT, SESSION_URL, STAND_IN, noRuntimeErrors, startFunction, type Instance } from './function.js'

type Mode = 'default' | 'pinned'

async function client(t: Tap, instance: Instance, mode: Mode, key = ALICE) {
  const options = mode === 'pinned' ? { capabilities: {}, versionNegotiation: { mode: { pin: MODERN } } } : { capabilities: {} }
  const sdk = new Client({ name: `lambda-${mode}`, version: '1.0.0' }, options)
  const transport = new StreamableHTTPClientTransport(new URL(`${instance.url}/mcp`), { requestInit: { headers: bearer(key) } })
  await sdk.connect(transport)
  t.teardown(() => sdk.close())
  return { sdk, transport }
}

/** A raw MCP 2026-07-28 `long_task` call, its answer as it crossed the wire. */
function longTask(instance: Instance, id: number, args: { steps: number; stepMs: number }) {
  const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } }
  return postJson(
    `${instance.url}/mcp`,
    { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'long_task', arguments: args, _meta: envelope } },
    { ...bearer(ALICE), 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'long_task' },
  )
}

t.test('the built handler serves both client eras through the streaming runtime, without sessions', async (t) => {
  const instance = await startFunction(t)
  for (const mode of ['pinned', 'default'] as Mode[]) {
    await t.test(`${mode} client`, async (t) => {
      const { sdk, transport } = await client(t, instance, mode)
      t.equal(sdk.getProtocolEra(), mode === 'pinned' ? 'modern' : 'legacy')
      t.equal(transport.sessionId, undefined, 'no session id was minted')
      t.equal((await sdk.listTools()).tools.length, catalogNames.tools.length, 'every tool is listed')
      t.same((await sdk.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent, { sum: 5 })
      t.same(resultJson(await sdk.callTool({ name: 'whoami', arguments: {} })).principal, 'alice')
      const progress: number[] = []
      const done = await sdk.callTool({ name: 'long_task', arguments: { steps: 3, stepMs: 20 } }, { onprogress: (p) => progress.push(p.progress) })
      t.same(progress, [1, 2, 3], 'progress streamed on the call’s own answer')
      t.notOk(done.isError)
    })
  }
  const audit = instance.logs().filter((record) => record.event === 'tool_call' && record.tool === 'add')
  t.equal(audit.length, 2, 'one audit line per add call, as in the container')
  t.match(audit[0], { principal: 'alice', outcome: 'ok' })
  t.ok(instance.runtime().filter((record) => record.standIn === 'report').length >= 8, 'each POST was one invocation')
  noRuntimeErrors(t, instance)
})

t.test('behind a REST API that streams (payload format 1.0): both eras, progress, keys, the caller’s address', async (t) => {
  // As the stack deploys it: the origin secret is set for CloudFront, and a REST API's events are served without it.
  const instance = await startFunction(t, { MCP_LAMBDA_ORIGIN_SECRET: 'origin-secret-0123456789abcdef-0123456789' }, 30_000, HANDLER, 'rest-api')
  for (const mode of ['pinned', 'default'] as Mode[]) {
    const { sdk, transport } = await client(t, instance, mode)
    t.equal(transport.sessionId, undefined, `${mode}: no session id was minted`)
    t.same((await sdk.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent, { sum: 5 }, `${mode}: add`)
    const progress: number[] = []
    await sdk.callTool({ name: 'long_task', arguments: { steps: 3, stepMs: 20 } }, { onprogress: (p) => progress.push(p.progress) })
    t.same(progress, [1, 2, 3], `${mode}: progress streamed`)
  }
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }
  const unauthorized = await postJson(`${instance.url}/mcp`, initialize, { 'cloudfront-viewer-address': '203.0.113.7:4711' })
  t.equal(unauthorized.status, 401)
  t.equal(unauthorized.headers.get('www-authenticate'), 'Bearer realm="mcp"', 'the app’s headers cross the REST API’s prelude')
  t.match(await unauthorized.json(), { jsonrpc: '2.0', id: null, error: { code: -32000, message: /Unauthorized/ } })
  t.ok(await eventually(() => instance.logs().some((record) => record.event === 'auth_failed' && record.ip === '127.0.0.1')), 'the app logs the caller’s address (identity.sourceIp), not a viewer address anyone could write')
  const { sdk: good } = await client(t, instance, 'default', BOB)
  t.same((await good.callTool({ name: 'add', arguments: { a: 1, b: 1 } })).structuredContent, { sum: 2 }, 'a good client is served afterwards')
  noRuntimeErrors(t, instance)
})

t.test('the bundle the stack deploys serves the same', async (t) => {
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build-lambda.mjs')], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 })
  t.equal(built.status, 0, 'npm run build:lambda')
  const instance = await startFunction(t, {}, 30_000, BUNDLE)
  for (const mode of ['pinned', 'default'] as Mode[]) {
    const { sdk } = await client(t, instance, mode)
    t.equal((await sdk.listTools()).tools.length, catalogNames.tools.length, `${mode}: every tool is listed`)
    const progress: number[] = []
    await sdk.callTool({ name: 'long_task', arguments: { steps: 2, stepMs: 10 } }, { onprogress: (p) => progress.push(p.progress) })
    t.same(progress, [1, 2], `${mode}: progress streamed`)
  }
  noRuntimeErrors(t, instance)
})

t.test('keys and allow-lists hold: no key is 401, an unknown key is 401, a limited key sees its list', async (t) => {
  const instance = await startFunction(t)
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }
  for (const headers of [{}, bearer('not-a-key-0123456789')]) {
    const response = await postJson(`${instance.url}/mcp`, initialize, headers)
    t.equal(response.status, 401)
    t.equal(response.headers.get('www-authenticate'), 'Bearer realm="mcp"')
    t.match(await response.json(), { jsonrpc: '2.0', id: null, error: { code: -32000, message: /Unauthorized/ } })
  }
  const pinned = new Client({ name: 'no-key', version: '1' }, { capabilities: {}, versionNegotiation: { mode: { pin: MODERN } } })
  await t.rejects(pinned.connect(new StreamableHTTPClientTransport(new URL(`${instance.url}/mcp`))), 'an SDK client without a key cannot connect')
  const { sdk } = await client(t, instance, 'pinned', CAROL)
  t.same((await sdk.listTools()).tools.map((tool) => tool.name).sort(), ['add', 'whoami'], 'the key’s allow-list holds')
  t.notOk(instance.logs().some((record) => JSON.stringify(record).includes(ALICE) || JSON.stringify(record).includes(CAROL)), 'no key in the logs')
  const { sdk: good } = await client(t, instance, 'default', BOB)
  t.same((await good.callTool({ name: 'add', arguments: { a: 1, b: 1 } })).structuredContent, { sum: 2 }, 'a good client is served afterwards')
  noRuntimeErrors(t, instance)
})

t.test('what needs a session answers where sessions are', async (t) => {
  const instance = await startFunction(t)
  const sse = await request(`${instance.url}/sse`, { headers: bearer(ALICE) })
  t.equal(sse.status, 404)
  t.match(await sse.json(), { error: { message: `Legacy HTTP+SSE (GET /sse) needs a session, and this server keeps none (MCP_STATELESS=true): use ${SESSION_URL}/sse` } })
  const stream = await request(`${instance.url}/mcp`, { headers: { ...bearer(ALICE), accept: 'text/event-stream' } })
  t.equal(stream.status, 405)
  t.equal(stream.headers.get('allow'), 'POST')
  t.match(await stream.json(), { error: { message: `GET /mcp needs a session, and this server keeps none (MCP_STATELESS=true): use ${SESSION_URL}/mcp` } })
  const { sdk } = await client(t, instance, 'default')
  const summary = await sdk.callTool({ name: 'summarize', arguments: { text: 'Some text to summarize, long enough.' } })
  t.equal(summary.isError, true)
  t.match(summary.content, [{ type: 'text', text: `summarize needs a session on 2025 clients (sampling), and this server keeps none: connect to ${SESSION_URL}/mcp, or use an MCP 2026-07-28 client` }])
  noRuntimeErrors(t, instance)
})

t.test('an answer over MCP_LAMBDA_MAX_RESPONSE_BYTES is refused with a clear error, never cut', async (t) => {
  const files = mkdtempSync(join(tmpdir(), 'lambda-files-'))
  writeFileSync(join(files, 'big.txt'), 'x'.repeat(32_768))
  writeFileSync(join(files, 'small.txt'), 'hello')
  const instance = await startFunction(t, { MCP_FILES_ROOT: files, MCP_LAMBDA_MAX_RESPONSE_BYTES: '16384' })
  const { sdk } = await client(t, instance, 'pinned')
  // read_file mirrors its path in Mcp-Param-File-Path (x-mcp-header): the client learns that from tools/list.
  await sdk.listTools()
  await t.rejects(sdk.callTool({ name: 'read_file', arguments: { path: 'big.txt' } }), /The answer \(\d+ bytes\) is larger than this function can send \(MCP_LAMBDA_MAX_RESPONSE_BYTES=16384\); call it on https:\/\/sessions\.example\.com\/team\/mcp/, 'a JSON answer is refused before a byte of it is sent')
  const progress: number[] = []
  await t.rejects(
    sdk.callTool({ name: 'long_task', arguments: { steps: 400, stepMs: 5 } }, { onprogress: (p) => progress.push(p.progress) }),
    /larger than this function can send/,
    'a streamed answer that grows past the cap ends with the same error',
  )
  t.ok(progress.length > 0 && progress.length < 400, `the stream carried progress until the cap (${progress.length} events)`)
  t.ok(await eventually(() => instance.logs().some((record) => record.event === 'long_task_ended' && record.cancelled === true)), 'the app saw its client leave and stopped the work')
  const text = await sdk.callTool({ name: 'read_file', arguments: { path: 'small.txt' } })
  t.match(text.content, [{ type: 'text', text: /hello/ }], 'a small answer still goes through')
  noRuntimeErrors(t, instance)
})

t.test('a call past its bound ends with a clear error before the function timeout, and the work stops', async (t) => {
  const instance = await startFunction(t, { MCP_LAMBDA_DEADLINE_MARGIN_MS: '1500' }, 4_000)
  for (const mode of ['pinned', 'default'] as Mode[]) {
    await t.test(`${mode} client, streamed answer`, async (t) => {
      const { sdk } = await client(t, instance, mode)
      const started = Date.now()
      await t.rejects(
        sdk.callTool({ name: 'long_task', arguments: { steps: 20, stepMs: 500 } }, { onprogress: () => {}, timeout: 20_000 }),
        /The call ran past this function's time bound \(2\.\d s, below its timeout\) and was ended; long calls belong on https:\/\/sessions\.example\.com\/team\/mcp/,
      )
      t.ok(Date.now() - started < 4_000, 'ended before the function timeout')
    })
  }
  await t.test('silent answer (no head yet): 504 with the same message', async (t) => {
    const response = await longTask(instance, 9, { steps: 1, stepMs: 10_000 })
    t.equal(response.status, 504)
    t.match(await response.json(), { jsonrpc: '2.0', id: 9, error: { code: -32000, message: /ran past this function's time bound/ } })
  })
  t.ok(await eventually(() => instance.logs().filter((record) => record.event === 'long_task_ended' && record.cancelled === true).length === 3), 'each call’s work was stopped')
  noRuntimeErrors(t, instance)
  const { sdk } = await client(t, instance, 'pinned')
  t.same((await sdk.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent, { sum: 3 }, 'the instance still serves')
})

t.test('behind CloudFront: only requests carrying the origin secret are served, and the viewer’s address is the client’s', async (t) => {
  const secret = 'origin-secret-0123456789abcdef-0123456789'
  const instance = await startFunction(t, { MCP_LAMBDA_ORIGIN_SECRET: secret })
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }
  const viewer = { 'cloudfront-viewer-address': '203.0.113.7:4711' }
  for (const headers of [{ ...bearer(ALICE) }, { ...bearer(ALICE), 'x-mcp-origin-secret': 'wrong-secret-0123456789abcdef-0123456789' }]) {
    const direct = await postJson(`${instance.url}/mcp`, initialize, { ...headers, ...viewer })
    t.equal(direct.status, 403, 'a request straight to the function URL is refused')
    t.match(await direct.json(), { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Forbidden: use the service URL' } })
  }
  t.notOk(instance.logs().some((record) => record.url === '/mcp'), 'refused before the app saw it')
  const unauthorized = await postJson(`${instance.url}/mcp`, initialize, { 'x-mcp-origin-secret': secret, ...viewer })
  t.equal(unauthorized.status, 401)
  t.ok(await eventually(() => instance.logs().some((record) => record.event === 'auth_failed' && record.ip === '203.0.113.7')), 'the app limits and logs by the viewer’s address')
  const served = await postJson(`${instance.url}/mcp`, initialize, { ...bearer(ALICE), 'x-mcp-origin-secret': secret })
  t.equal(served.status, 200, 'a request through CloudFront is served')
  t.notOk(instance.logs().some((record) => JSON.stringify(record).includes(secret)), 'the secret never reaches a log line')
  noRuntimeErrors(t, instance)
})

t.test('without an origin secret a viewer-address header is not believed', async (t) => {
  const instance = await startFunction(t)
  const response = await postJson(`${instance.url}/mcp`, {}, { 'cloudfront-viewer-address': '203.0.113.7:4711' })
  t.equal(response.status, 401)
  t.ok(await eventually(() => instance.logs().some((record) => record.event === 'auth_failed')))
  t.match(instance.logs().find((record) => record.event === 'auth_failed'), { ip: '127.0.0.1' }, 'the caller’s own address')
})

t.test('a configuration the function cannot run with stops its init with one line per problem (exit 78)', async (t) => {
  const port = await freePort()
  const child = spawnChild(t, process.execPath, [STAND_IN, HANDLER, '--port', String(port)], { NODE_ENV: 'production', MCP_API_KEYS: KEYS, MCP_MAX_BODY_BYTES: '7000000' })
  const { code } = await child.exited
  t.equal(code, 78)
  t.match(child.output, 'Invalid configuration: MCP_MAX_BODY_BYTES: at most 6291456 on AWS Lambda (a function URL\'s request payload limit)')
  const noKeys = spawnChild(t, process.execPath, [STAND_IN, HANDLER, '--port', String(port)], { NODE_ENV: 'production', MCP_API_KEYS: '' })
  t.equal((await noKeys.exited).code, 78)
  t.match(noKeys.output, 'Invalid configuration: MCP_API_KEYS: no API keys configured')
})

t.test('a silent call is kept alive by heartbeats through the stream, then answered', async (t) => {
  const instance = await startFunction(t, { MCP_HEARTBEAT_MS: '200' })
  const response = await longTask(instance, 4, { steps: 1, stepMs: 700 })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/event-stream/)
  const text = await response.text()
  t.ok((text.match(/: keepalive/g) ?? []).length >= 2, 'heartbeats while the tool works')
  const answer = JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? '{}')
  t.match(answer, { jsonrpc: '2.0', id: 4, result: { content: [{ type: 'text', text: 'Finished all 1 steps' }] } }, 'then the answer')
  noRuntimeErrors(t, instance)
})
