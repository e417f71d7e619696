import t from 'tap'
import { startServer } from '../helpers/server.js'
import { EventStream, initializeRaw, openSse } from '../helpers/http.js'

const FAST = { MCP_HEARTBEAT_MS: '100' }

t.test('an idle /sse stream gets ": ping" comments, with the SSE headers a proxy needs', async (t) => {
  const server = await startServer(t, FAST)
  const { stream } = await openSse(t, server)
  t.equal(stream.response.headers.get('content-type'), 'text/event-stream')
  t.equal(stream.response.headers.get('cache-control'), 'no-cache, no-transform')
  t.equal(stream.response.headers.get('x-accel-buffering'), 'no')
  await stream.waitFor(/\n: ping\n\n[\s\S]*\n: ping\n\n/)
  t.pass('two heartbeats arrived on a stream nobody wrote to')
})

t.test('an idle Streamable HTTP GET stream gets keepalive comments', async (t) => {
  const server = await startServer(t, FAST)
  const { headers } = await initializeRaw(server)
  const stream = await EventStream.open(t, `${server.url}/mcp`, headers)
  t.equal(stream.response.status, 200)
  t.match(stream.response.headers.get('content-type'), /^text\/event-stream/)
  await stream.waitFor(/: keepalive\n\n[\s\S]*: keepalive\n\n/)
  t.pass('heartbeat comments arrived on the standalone stream')
})

