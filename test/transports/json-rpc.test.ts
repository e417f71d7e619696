// How a POSTed body becomes JSON-RPC messages (app/transports/json-rpc.ts): what the common requests skip (the
// schema's union) must never change what is accepted or what comes out, which JSONRPCMessageSchema decides.
import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import { JSONRPCMessageSchema } from '@modelcontextprotocol/core'
import { HttpError } from '../../app/http/errors.js'
import { parseMessage, parseMessages } from '../../app/transports/json-rpc.js'

const RELATED_TASK = 'io.modelcontextprotocol/related-task'

/** What the schema makes of a body: the message, or undefined when it refuses it. */
function bySchema(body: unknown): unknown {
  const parsed = JSONRPCMessageSchema.safeParse(body)
  return parsed.success ? parsed.data : undefined
}

function byUs(body: unknown): unknown {
  try {
    return parseMessage(body)
  } catch (error) {
    if (error instanceof HttpError && error.statusCode === 400) return undefined
    throw error
  }
}

/** Every combination of the parts a message is made of, well-formed and not, requests, notifications and answers. */
function* bodies(): Generator<unknown> {
  const metas: unknown[] = [null, [], {}, { progressToken: 7 }, { progressToken: 'p' }, { progressToken: -3 }, { progressToken: 1.5 }, { progressToken: 2 ** 60 }, { progressToken: null }, { [RELATED_TASK]: { taskId: 't' } }, { [RELATED_TASK]: 5 }, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', other: { deep: [1] } }]
  const params: unknown[] = [undefined, {}, [], null, 'x', { name: 'add', arguments: { a: 1 } }, ...metas.map((meta) => ({ name: 'whoami', _meta: meta }))]
  for (const jsonrpc of ['2.0', '1.0', undefined, 2]) {
    for (const id of [1, 0, -4, 'a', '', 1.5, 2 ** 60, null, undefined, {}, true]) {
      for (const method of ['tools/call', 3, undefined]) {
        for (const param of params) {
          for (const extra of [{}, { result: {} }, { error: { code: -32600, message: 'm' } }, { foo: 1 }]) {
            const body: Record<string, unknown> = { ...extra }
            if (jsonrpc !== undefined) body.jsonrpc = jsonrpc
            if (id !== undefined) body.id = id
            if (method !== undefined) body.method = method
            if (param !== undefined) body.params = param
            yield body
          }
        }
      }
    }
  }
  yield* [null, [], 'text', 42, { jsonrpc: '2.0', id: 1, result: { content: [] } }, { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'm', data: [1] } }]
}

t.test('a body is accepted and read exactly as JSONRPCMessageSchema reads it', async (t) => {
  let accepted = 0
  let refused = 0
  const differing: string[] = []
  for (const body of bodies()) {
    const expected = bySchema(body)
    const actual = byUs(body)
    expected === undefined ? refused++ : accepted++
    if (!isDeepStrictEqual(actual, expected)) differing.push(JSON.stringify(body))
  }
  t.ok(accepted > 50 && refused > 1000, `both kinds were tried (${accepted} accepted, ${refused} refused)`)
  t.same(differing.slice(0, 10), [], 'no body is read otherwise')
})

t.test('the requests a client sends are taken as they are: nothing is copied', async (t) => {
  const call = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 }, _meta: { progressToken: 3 } } }
  const modern = { jsonrpc: '2.0', id: 'r-1', method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }
  const notification = { jsonrpc: '2.0', method: 'notifications/initialized' }
  for (const body of [call, modern, notification]) t.equal(parseMessage(body), body, (body as { method: string }).method)
  const [first, second] = parseMessages([call, notification])
  t.same([first, second], [call, notification], 'a batch is read by the schema, as before')
  const answer = { jsonrpc: '2.0', id: 4, result: {} }
  t.not(parseMessage(answer), answer, 'an answer goes through the schema')
  t.same(parseMessage(answer), answer)
})

t.test('what the schema refuses is refused with 400 -32600', async (t) => {
  for (const body of [{ jsonrpc: '2.0', id: 1.5, method: 'x' }, { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 1.5 } } }, { jsonrpc: '2.0', id: 1, method: 'x', extra: true }]) {
    t.throws(() => parseMessage(body), { statusCode: 400, rpcCode: -32600, message: 'Invalid Request: the body is not a JSON-RPC 2.0 message' }, JSON.stringify(body))
  }
})
