import type { Session } from '../sessions/registry.js'
import type { SseServerTransport } from './sse-transport.js'
import type { StreamableHttpTransport } from './streamable-http-transport.js'

declare module '../sessions/registry.js' {
  /** The transports a session can have: its kind says which, so no route casts a session's transport. */
  interface Transports {
    sse: { kind: 'sse'; transport: SseServerTransport }
    'streamable-http': { kind: 'streamable-http'; transport: StreamableHttpTransport }
  }
}

export type StreamableHttpSession = Session<{ kind: 'streamable-http'; transport: StreamableHttpTransport }>
