import type { FastifyBaseLogger } from 'fastify'
import type { JSONRPCMessage, McpServer, RequestId, Transport } from '@modelcontextprotocol/server'
import { HttpError, sessionNotFound, tooManyRequests } from '../http/errors.js'
import type { InputHold } from '../http/input-load.js'
import type { Metrics } from '../http/metrics.js'
import type { Principal } from '../keys.js'
import { BoundedStream, KeyBudgets, type HijackedResponse } from './bounded-stream.js'
import { InFlight } from './in-flight.js'

/** What the registry needs of a transport: the SDK's interface, the settling of requests, and a heartbeat. */
export interface SessionTransport extends Transport {
  /** A request of the client is settled (answered, cancelled, or abandoned): it no longer counts as in flight. */
  onsettled?: (id: RequestId) => void
  /** Keep-alive bytes on the session's open streams; the registry's sweep calls it every heartbeat interval. */
  heartbeat(): void
}

/** A transport and the name of its kind; the transports layer defines the union of the ones it has. */
export interface TransportBinding {
  kind: string
  transport: SessionTransport
}

interface SessionState {
  id: string
  principal: string
  server: McpServer
  log: FastifyBaseLogger
  /** The last request, or the last stream closing: idle time counts from here. */
  lastActivity: number
  /** Responses still being written for this session; a session with one is never idle. */
  streams: Set<BoundedStream>
  inFlight: InFlight
  /** The protocol revision negotiated at initialize (Streamable HTTP), which decides whether batches are served. */
  protocolVersion?: string
}

export type Session<B extends TransportBinding = TransportBinding> = B & SessionState

/**
 * The transports sessions of this app can have, by kind. Empty here: the transports layer adds its own
 * (declaration merging, app/transports/bindings.ts), so sessions never import transports.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Transports {}

/** A session's transport and its kind, as one discriminated union: routes narrow by kind, never cast. */
export type AppTransport = Transports[keyof Transports]

export interface SessionLimits {
  maxSessions: number
  maxSessionsPerKey: number
  sessionIdleMs: number
  heartbeatMs: number
  maxStreamBufferBytes: number
  maxBufferedBytesPerKey: number
  maxInFlightPerSession: number
}

export type OpenSession<B extends TransportBinding> = B & {
  id: string
  principal: Principal
  protocolVersion?: string
}

/**
 * Builds the MCP server of a session, or of one 2025 POST served without a session (no session id,
 * MCP_STATELESS); the app wires the catalog in, so session mechanics never import it.
 */
export type ServerFactory = (principal: Principal, sessionId: string | undefined, log: FastifyBaseLogger) => McpServer
const RETRY_AFTER_FULL_SECONDS = 30
const RETRY_AFTER_IN_FLIGHT_SECONDS = 1

/**
 * The sessions this task owns. One timer serves all of them: heartbeats and idle reaping run in a single
 * sweep every heartbeat interval, so an idle session costs no timer of its own. Write-buffer limits are not
 * the sweep's: every write checks them (BoundedStream).
 */
export class SessionRegistry<B extends TransportBinding = TransportBinding> {
  private readonly sessions = new Map<string, Session<B>>()
  private readonly perPrincipal = new Map<string, number>()
  private readonly budgets: KeyBudgets
  private readonly sweeper: NodeJS.Timeout
  private drainingNow = false

  constructor(
    private readonly limits: SessionLimits,
    private readonly createServer: ServerFactory,
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
  ) {
    this.budgets = new KeyBudgets(limits.maxBufferedBytesPerKey)
    this.sweeper = setInterval(() => this.sweep(Date.now()), limits.heartbeatMs).unref()
  }

  get size(): number {
    return this.sessions.size
  }

  get draining(): boolean {
    return this.drainingNow
  }

  /** Refuses a new session before any stream starts: 503 when full, 429 over the key's cap. */
  admit(principal: Principal): void {
    if (this.sessions.size >= this.limits.maxSessions) {
      this.metrics.rateLimited.inc({ reason: 'task_sessions' })
      throw new HttpError(503, 'Service Unavailable: this task holds its maximum number of sessions', undefined, {
        'retry-after': String(RETRY_AFTER_FULL_SECONDS),
      })
    }
    if ((this.perPrincipal.get(principal.name) ?? 0) >= this.limits.maxSessionsPerKey) {
      this.metrics.rateLimited.inc({ reason: 'key_sessions' })
      throw tooManyRequests(RETRY_AFTER_FULL_SECONDS, 'open sessions for this key')
    }
  }

  /** Creates the session's MCP server, connects it to the transport and registers the session. */
  async open<O extends B>({ id, principal, protocolVersion, ...binding }: OpenSession<O>): Promise<Session<O>> {
    const { kind, transport } = binding
    const log = this.log.child({ principal: principal.name, session: id })
    const session = {
      ...(binding as unknown as O),
      id,
      principal: principal.name,
      server: this.createServer(principal, id, log),
      log,
      lastActivity: Date.now(),
      streams: new Set(),
      inFlight: new InFlight(this.limits.maxInFlightPerSession),
      protocolVersion,
    } satisfies SessionState as Session<O>
    transport.onclose = () => this.remove(session)
    transport.onsettled = (requestId) => session.inFlight.settle(requestId)
    this.sessions.set(id, session)
    this.perPrincipal.set(session.principal, (this.perPrincipal.get(session.principal) ?? 0) + 1)
    this.metrics.sessionsOpen.inc({ transport: kind })
    await session.server.connect(transport)
    log.info({ event: 'session_opened', transport: kind }, 'session opened')
    return session
  }

  /**
   * The session when it exists on this task and belongs to the principal. Another key's session answers
   * exactly like an unknown one, so ids cannot be probed, and the attempt is logged as a security event.
   */
  find<K extends B['kind']>(id: string, principal: Principal, kind: K, log: FastifyBaseLogger): Session<Extract<B, { kind: K }>> | undefined {
    const session = this.sessions.get(id)
    if (!session || !isKind(session, kind)) return undefined
    if (session.principal !== principal.name) {
      log.warn({ event: 'foreign_session', owner: session.principal }, 'request for a session of another key refused')
      throw sessionNotFound()
    }
    return session
  }

  /** A request on the session: idle time counts from now. */
  touch(session: Session): void {
    session.lastActivity = Date.now()
  }

  /** A stream written through the one write primitive, bounded per stream and against the key's budget. */
  bound(principal: Principal, hijacked: HijackedResponse, log: FastifyBaseLogger): BoundedStream {
    return new BoundedStream(hijacked, principal.name, { maxStreamBufferBytes: this.limits.maxStreamBufferBytes, budgets: this.budgets }, log, () =>
      this.metrics.rateLimited.inc({ reason: 'slow_consumer' }),
    )
  }

  /**
   * Follows a response of the session until it ends, so the session is not idle meanwhile; its end counts
   * as activity. whenEnded() also calls back for a response whose client left before we got here, so an
   * aborted request never leaves a stream (and so a session) behind.
   */
  track(session: Session, stream: BoundedStream): void {
    session.streams.add(stream)
    stream.whenEnded(() => {
      session.streams.delete(stream)
      session.lastActivity = Date.now()
    })
  }

  /**
   * Admits a request's messages against the session's bound on requests in flight and its key's, all or
   * none: over either the request is refused (429), and so is a batch larger than the bound. Returns the
   * admitted request ids, which hold the body's input until they are settled.
   */
  admitRequests(session: Session, messages: JSONRPCMessage[], hold: InputHold): RequestId[] {
    const ids = session.inFlight.admit(messages, hold)
    if (ids) return ids
    this.metrics.rateLimited.inc({ reason: 'in_flight' })
    throw tooManyRequests(RETRY_AFTER_IN_FLIGHT_SECONDS, `requests in flight for this session (at most ${session.inFlight.max})`)
  }

  /**
   * Readiness turns 503; every session keeps working, and new ones are still admitted. A task stopped by a
   * deployment or a scale-in was deregistered before SIGTERM and gets nothing new; a Fargate Spot task "might not
   * be deregistered from the load balancer's target group until the task transitions to the STOPPED state" (AWS
   * Knowledge Center, "fargate-spot-termination-notice"), so the ALB, whose health check reads /health, keeps
   * sending it new sessions while it drains: refusing them would fail clients while healthy tasks exist. They
   * end with the drain like the others (docs/deploy.md, "Stopping a task").
   */
  startDraining(): void {
    this.drainingNow = true
  }

  /** Ends every session (and so every stream) cleanly; the task is shutting down. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper)
    await Promise.allSettled([...this.sessions.values()].map((session) => session.server.close()))
  }

  private remove(session: Session<B>): void {
    if (this.sessions.get(session.id) !== session) return
    this.sessions.delete(session.id)
    session.inFlight.clear()
    const count = (this.perPrincipal.get(session.principal) ?? 1) - 1
    if (count > 0) this.perPrincipal.set(session.principal, count)
    else this.perPrincipal.delete(session.principal)
    this.metrics.sessionsOpen.dec({ transport: session.kind })
    session.log.info({ event: 'session_closed', transport: session.kind }, 'session closed')
  }

  private sweep(now: number): void {
    for (const session of this.sessions.values()) {
      session.transport.heartbeat()
      if (session.streams.size === 0 && now - session.lastActivity > this.limits.sessionIdleMs) {
        session.log.info({ event: 'session_reaped' }, 'idle session closed')
        void session.server.close()
      }
    }
  }
}

function isKind<B extends TransportBinding, K extends B['kind']>(session: Session<B>, kind: K): session is Session<Extract<B, { kind: K }>> {
  return session.kind === kind
}
