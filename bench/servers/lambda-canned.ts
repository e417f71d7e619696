// A streaming Lambda handler that answers every benchmark call with a canned `whoami` result, through the same
// response-streaming path as ours (the prelude written by HttpResponseStream.from, then the body, then the end),
// and does nothing else: under the stand-in of Lambda's runtime (lambda-stand-in.ts) it shows what the stand-in's
// own function URL shim and runtime cost per call, so that the benchmark can tell the handler's share apart.
/** The benchmark key's name (MCP_API_KEYS is `name:secret`): the principal a whoami answer names. */
const principal = (process.env.MCP_API_KEYS ?? '').split(':')[0]
const identity = { principal, client: { name: 'mcp-bench', version: '1.0.0' } }
const text = JSON.stringify(identity)

export const handler = awslambda.streamifyResponse(async (event: { body?: string }, responseStream: awslambda.HttpResponseStream) => {
  const { id } = JSON.parse(event.body ?? '{}') as { id?: unknown }
  const body = JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], structuredContent: identity } })
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } })
  stream.write('')
  stream.write(body)
  stream.end()
})
