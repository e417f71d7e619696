import { connect as tcpConnect, type Socket } from 'node:net'
import t from 'tap'
import { startServer, type TestServer } from './helpers/server.js'
import { nothingLeaked, stillServes } from './helpers/http.js'

/** Bounds how long a test waits for the server to drop a stalled socket (the timeout under test is 300 ms). */
const DROP_WAIT_MS = 10_000

async function openSocket(server: TestServer, first?: string): Promise<Socket> {
  const { hostname, port } = new URL(server.url)
  const socket = tcpConnect(Number(port), hostname)
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  if (first) socket.write(first)
  return socket
}

/** Resolves with what the server sent once it closed the socket; rejects if it never does. */
function closedByServer(socket: Socket): Promise<string> {
  let received = ''
  socket.on('data', (chunk) => (received += chunk))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('the server kept the stalled socket open'))
    }, DROP_WAIT_MS)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
  })
}

t.test('slowloris: sockets that never finish their headers are closed, the server stays responsive', async (t) => {
  const server = await startServer(t, { MCP_HEADERS_TIMEOUT_MS: '300' })
  const sockets = await Promise.all(Array.from({ length: 20 }, () => openSocket(server, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ')))
  const closed = Promise.all(sockets.map(closedByServer))
  await stillServes(t, server)
  for (const received of await closed) t.notMatch(received, /^HTTP\/1\.1 200/, 'no answer to a request that never ended')
  await stillServes(t, server)
  await nothingLeaked(t, server)
})

t.test('a socket that connects and never sends a byte is closed by the same timeout', async (t) => {
  const server = await startServer(t, { MCP_HEADERS_TIMEOUT_MS: '300' })
  const silent = await openSocket(server)
  t.notMatch(await closedByServer(silent), /^HTTP\/1\.1 2/, 'closed without a successful answer')
  await stillServes(t, server)
})

t.test('a kept-alive connection is not cut by the headers timeout after its first request', async (t) => {
  const server = await startServer(t, { MCP_HEADERS_TIMEOUT_MS: '300', MCP_KEEP_ALIVE_TIMEOUT_MS: '60000' })
  const socket = await openSocket(server)
  const closed = closedByServer(socket)
  const answered = new Promise<void>((resolve) => socket.on('data', (chunk) => String(chunk).includes('"status":"ok"') && resolve()))
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
  await answered
  // Idle on a kept-alive connection is keepAliveTimeout's business (60 s here), not the headers timeout's.
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  t.notOk(socket.destroyed, 'still open after three headers timeouts')
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(await closed, /HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 200/, 'both requests answered on one connection')
})
