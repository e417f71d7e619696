import type { JSONRPCMessage } from '@modelcontextprotocol/server'

/** Headers of every event stream we send; `no-transform` and `X-Accel-Buffering` keep proxies from buffering it. */
export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

/**
 * Headers of a stream that is its connection's whole life (the legacy stream, the standalone GET stream):
 * when it ends the socket goes too, so shutdown never waits on an idle keep-alive connection left behind.
 */
export const LONG_STREAM_HEADERS = { ...EVENT_STREAM_HEADERS, connection: 'close' }

/** An event-stream comment: keeps a silent stream alive through the balancer's idle timeout. */
export const KEEPALIVE = ': keepalive\n\n'

/** One JSON-RPC message as a server-sent event. */
export function messageEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`
}
