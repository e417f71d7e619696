// An OTLP/HTTP sink for the benchmark, a process of its own on a loopback port (OTLP_SINK_PORT), so that what
// taking exports costs is neither our server's CPU nor the load generator's. It takes POST /v1/traces and
// /v1/metrics, reads each body to its end without decoding it, and answers as a collector answers full success:
// HTTP 200 with an empty Export<signal>ServiceResponse in the request's encoding, which is no bytes at all in
// binary protobuf and `{}` in JSON (opentelemetry-proto docs/specification.md, "OTLP/HTTP Response", "Full
// Success"). GET /exports says how many export requests of each signal it has taken so far.
import { createServer } from 'node:http'

const taken = { traces: 0, metrics: 0 }
const SIGNALS = new Map([
  ['/v1/traces', 'traces'],
  ['/v1/metrics', 'metrics'],
])

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/exports') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(taken))
    return
  }
  const signal = SIGNALS.get(request.url)
  if (request.method !== 'POST' || signal === undefined) {
    response.writeHead(404).end()
    return
  }
  request.resume()
  request.once('end', () => {
    taken[signal]++
    const json = String(request.headers['content-type']).includes('json')
    response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '')
  })
})

server.listen(Number(process.env.OTLP_SINK_PORT ?? 0), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
