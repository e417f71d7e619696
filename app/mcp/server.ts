import {
  McpServer,
  SUPPORTED_PROTOCOL_VERSIONS,
  Server,
  type AuthInfo,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type MessageExtraInfo,
  type ServerEventBus,
  type Transport,
} from '@modelcontextprotocol/server'
import type { FastifyBaseLogger } from 'fastify'
import type { Principal } from '../keys.js'
import { FIRST_MODERN_REVISION, isRequest, isResponse, takeRoundContext } from '../protocol.js'
import type { Catalog } from './catalog.js'
import { sessionAuthInfo, type Services, type SessionContext } from './context.js'
import { registerPrompt } from './define-prompt.js'
import { registerResource } from './define-resource.js'
import { auditToolCall, registerTool } from './define.js'

export const SERVER_INFO = { name: 'mcp-fargate-server', version: '0.1.0' }

/**
 * What the catalog's registration gives a server (`listChanged: true` is what registering declares), written
 * out so that a server can answer from a catalog registered elsewhere. `resources.subscribe`: a 2025 session
 * takes `resources/subscribe` (SessionServer), a 2026-07-28 `subscriptions/listen` stream `resourceSubscriptions`
 * (the SDK's listen router honours them only when this is declared: listenRouter `honoredFilter`). The SDK's default JSON Schema
 * validator (Ajv, used only to check elicitation answers) builds its engines on first use, so an idle
 * session does not pay for one (server dist ajvProvider: "lazily, on the first getValidator call needing each").
 */
const CAPABILITIES = { logging: {}, tools: { listChanged: true }, resources: { listChanged: true, subscribe: true }, prompts: { listChanged: true }, completions: {} }

/**
 * Where SDK 2.4.0's `McpServer` keeps what was registered on it. Its constructor installs the list, call,
 * read and get handlers when the capabilities declare tools, resources and prompts, and those handlers look
 * these fields up on every request (server dist mcp-oHn3ureC.mjs, `class McpServer`: the fields, the
 * constructor, `setToolRequestHandlers`, `setResourceRequestHandlers`, `setPromptRequestHandlers`).
 */
interface Registrations {
  _registeredTools: object
  _registeredResources: object
  _registeredResourceTemplates: object
  _registeredPrompts: object
  /** Each tool's input schema as JSON Schema, converted on first use (for 2026-07-28's `Mcp-Param-*` check). */
  _toolInputSchemaJson: object
  /** Installs `completion/complete`, which registering a completable argument does (and the constructor does not). */
  setCompletionRequestHandler(): void
}
/**
 * What a server of MCP 2026-07-28 requests supports: the 2025 revisions and that one. Listing it
 * is what lets `Server.connect` bind the server to the request's revision and makes the constructor install
 * `server/discover` (server dist mcp-oHn3ureC.mjs, `Server` constructor and `connect`); a 2025 session's
 * server lists the 2025 revisions only, as the SDK's default does.
 */
const MODERN_REQUEST_VERSIONS = [...SUPPORTED_PROTOCOL_VERSIONS, FIRST_MODERN_REVISION]

const REGISTRATIONS = ['_registeredTools', '_registeredResources', '_registeredResourceTemplates', '_registeredPrompts', '_toolInputSchemaJson'] as const

/**
 * A catalog's registrations: one per distinct combination of allow-lists, and each key's, found without
 * spelling its allow-lists out again (a server is built per 2026-07-28 request).
 */
interface Registered {
  ofLists: Map<string, Registrations>
  ofKey: WeakMap<Principal, Registrations>
}
/** Every catalog registered once per allow-list, on a server that never connects: its registrations are shared. */
const registered = new WeakMap<Catalog, Registered>()

const allows = (list: ReadonlySet<string> | undefined, name: string) => !list || list.has(name)
const listKey = (list: ReadonlySet<string> | undefined) => (list ? [...list].sort().join('|') : '*')

/** What a key may see of the catalog: its allow-lists (`tools=`, `prompts=`, `resources=`), or everything. */
function catalogFor(catalog: Catalog, principal: Principal): Registrations {
  let ofCatalog = registered.get(catalog)
  if (!ofCatalog) registered.set(catalog, (ofCatalog = { ofLists: new Map(), ofKey: new WeakMap() }))
  let registrations = ofCatalog.ofKey.get(principal)
  if (!registrations) {
    registrations = catalogOfLists(catalog, ofCatalog.ofLists, principal)
    ofCatalog.ofKey.set(principal, registrations)
  }
  return registrations
}

/** One registration per distinct combination of allow-lists, however many keys share it. */
function catalogOfLists(catalog: Catalog, ofLists: Map<string, Registrations>, { allowedTools, allowedPrompts, allowedResources }: Principal): Registrations {
  const key = [allowedTools, allowedPrompts, allowedResources].map(listKey).join(' ')
  let registrations = ofLists.get(key)
  if (!registrations) {
    const holder = new McpServer(SERVER_INFO, { capabilities: CAPABILITIES })
    for (const tool of catalog.tools) if (allows(allowedTools, tool.name)) registerTool(holder, tool)
    for (const resource of catalog.resources) if (allows(allowedResources, resource.uri)) registerResource(holder, resource)
    for (const prompt of catalog.prompts) if (allows(allowedPrompts, prompt.name)) registerPrompt(holder, prompt)
    ofLists.set(key, (registrations = holder as unknown as Registrations))
  }
  return registrations
}

/**
 * One MCP server per session, carrying the session's own protocol state (client capabilities, log level,
 * requests in flight). The catalog is not the session's: every session of the same allow-list answers from
 * one registration of it, whose handlers learn the session from each request (`requestContext`). Registering
 * the catalog per session cost 14.6 KB of heap per idle session (7 tools of ≈ 1.5 KB, each with its own
 * closures); a session's server is ≈ 7 KB now. The shared registrations are never changed after start-up
 * (no tool is enabled, disabled or removed at run time), so sharing them cannot leak one session into another.
 */
class SessionServer extends McpServer {
  private authInfo: AuthInfo
  private subscriptions: ResourceSubscriptions | undefined
  private subscriptionsHandled = false
  /** The catalog it answers from: what every key with the same allow-lists sees. */
  readonly registrations: Registrations

  constructor(
    catalog: Catalog,
    private session: SessionContext,
  ) {
    super(SERVER_INFO, {
      capabilities: CAPABILITIES,
      ...(session.sessionId === undefined && { supportedProtocolVersions: MODERN_REQUEST_VERSIONS }),
      ...(catalog.requestState && { requestState: catalog.requestState }),
    })
    this.registrations = catalogFor(catalog, session.principal)
    const own = this as unknown as Registrations
    for (const field of REGISTRATIONS) {
      // A renamed field in a future SDK would leave the session with an empty catalog: refuse to start instead.
      if (!(field in own)) throw new Error(`@modelcontextprotocol/server no longer keeps registrations in ${field}`)
      own[field] = this.registrations[field]
    }
    if (typeof own.setCompletionRequestHandler !== 'function') throw new Error('@modelcontextprotocol/server no longer has setCompletionRequestHandler')
    own.setCompletionRequestHandler()
    this.authInfo = sessionAuthInfo({ ...session, server: this })
  }

  /** Serves the next MCP 2026-07-28 request, of a principal with the same allow-lists (RequestServers). */
  serveFor(session: SessionContext): void {
    this.session = session
    this.authInfo = sessionAuthInfo({ ...session, server: this })
  }

  /**
   * Lets go of the answered request's exchange so that the server can connect to the next one. `close()` would
   * do it too, and build a ConnectionClosed error for nobody and abort the signal of the request just answered
   * (modern-exchange.ts); an answered request left nothing else on the server: the SDK drops a request's abort
   * controller once it is answered, and a 2026-07-28 request can neither send the client a request of its own
   * nor hold a subscription.
   */
  detach(): void {
    ;(this.server as unknown as SdkConnection)._transport = undefined
  }

  /**
   * A 2025 session's `resources/subscribe` and `resources/unsubscribe` handlers, registered when it first asks for
   * either: few sessions subscribe, and the two registrations cost ≈ 0.7 KB of heap on every idle session.
   */
  private handleSubscriptions(): void {
    if (this.subscriptionsHandled) return
    this.subscriptionsHandled = true
    this.server.setRequestHandler('resources/subscribe', (request) => {
      this.subscriptions ??= new ResourceSubscriptions(this.server, this.session.services.changes)
      this.subscriptions.add(request.params.uri)
      return {}
    })
    this.server.setRequestHandler('resources/unsubscribe', (request) => {
      this.subscriptions?.remove(request.params.uri)
      return {}
    })
  }

  /** A call refused by its input schema: the SDK answers it before any handler runs, so it is audited here. */
  auditRefusedCall(toolName: string): void {
    auditToolCall(this.session, toolName, 'invalid_arguments', { durationMs: 0 })
  }

  /**
   * Every message the transport delivers carries the session (as `authInfo`) to the handlers. Dispatched
   * here rather than by the SDK's own receiver (`Protocol.connect`), which asks zod for every message whether
   * it is a response, a request or a notification (≈ 3 % of a call's CPU), though every message reaching a
   * session has been parsed with the SDK's JSONRPCMessageSchema already (json-rpc.ts, or the 2026-07-28
   * classification), whose strict shapes let the keys decide (app/protocol.ts).
   */
  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport)
    const protocol = this.server as unknown as Dispatch
    const withSession = { authInfo: this.authInfo }
    transport.onmessage = (message, extra) => {
      if (isResponse(message)) return protocol._onresponse(message)
      const receiveExtra = extra ? { ...extra, ...withSession } : withSession
      if (isRequest(message)) {
        // With tracing on, its receiver (wrapped around this one) took the round's context off already.
        takeRoundContext(message)
        if (isSubscription(message) && this.session.sessionId !== undefined) this.handleSubscriptions()
        protocol._onrequest(message, receiveExtra)
      } else protocol._onnotification(message as JSONRPCNotification, receiveExtra)
    }
    // Only a 2025 session holds resource subscriptions (a 2026-07-28 request's server serves one request at a time).
    if (this.session.sessionId !== undefined) {
      const closed = transport.onclose
      transport.onclose = () => {
        this.subscriptions?.clear()
        closed?.()
      }
    }
    this.session.services.tracing?.observe(transport, { principal: this.session.principal.name, sessionId: this.session.sessionId })
  }
}

/**
 * The resources a 2025 session subscribed to (`resources/subscribe`): told with
 * `notifications/resources/updated` when the catalog says one changed, on whichever task it changed (the change
 * events cross tasks through Redis). A session listens to the events only while it holds a subscription.
 * Subscribing names a URI, nothing more: being told that a URI changed tells a client no content, and reading
 * it is checked as always.
 */
class ResourceSubscriptions {
  private readonly uris = new Set<string>()
  private stopListening: (() => void) | undefined

  constructor(
    private readonly server: Server,
    private readonly changes: ServerEventBus,
  ) {}

  add(uri: string): void {
    this.uris.add(uri)
    this.stopListening ??= this.changes.subscribe((event) => {
      if (event.kind === 'resource_updated' && this.uris.has(event.uri)) this.server.sendResourceUpdated({ uri: event.uri }).catch(() => {})
    })
  }

  remove(uri: string): void {
    this.uris.delete(uri)
    if (this.uris.size === 0) this.clear()
  }

  clear(): void {
    this.uris.clear()
    this.stopListening?.()
    this.stopListening = undefined
  }
}

/** Where SDK 2.4.0's `Protocol` keeps its transport; `Server.connect` refuses a second one while it is set. */
interface SdkConnection {
  _transport: unknown
}

/** SDK 2.4.0's `Protocol` dispatch, behind the receiver `Protocol.connect` installs (server dist src-DdvbAHrR.mjs). */
interface Dispatch {
  _onresponse(message: JSONRPCResponse): void
  _onrequest(message: JSONRPCRequest, extra: MessageExtraInfo): void
  _onnotification(message: JSONRPCNotification, extra: MessageExtraInfo): void
}
const DISPATCH = ['_onresponse', '_onrequest', '_onnotification'] as const

const isSubscription = ({ method }: JSONRPCRequest) => method === 'resources/subscribe' || method === 'resources/unsubscribe'

/**
 * SDK 2.4.0 checks a tool's arguments in `McpServer.validateToolInput` (private) before the tool's handler and
 * answers a mismatch itself; wrapped once here, on the prototype, so that such a call still writes its audit
 * line (server dist mcp-oHn3ureC.mjs, `tools/call` handler and `validateToolInput`).
 */
type ValidateToolInput = (this: SessionServer, tool: unknown, args: unknown, toolName: string) => Promise<unknown>
const sdkValidateToolInput = (McpServer.prototype as unknown as { validateToolInput?: ValidateToolInput }).validateToolInput
if (typeof sdkValidateToolInput === 'function') {
  ;(SessionServer.prototype as unknown as { validateToolInput: ValidateToolInput }).validateToolInput = async function (tool, args, toolName) {
    try {
      return await sdkValidateToolInput.call(this, tool, args, toolName)
    } catch (error) {
      this.auditRefusedCall(toolName)
      throw error
    }
  }
}

/**
 * The SDK methods this module reaches on the prototypes, each missing one named (the start-up self-test
 * refuses to start on any; the fields adopted per server are checked by serving a request, see self-test.ts).
 */
export function sdkContractProblems(): string[] {
  const problems = DISPATCH.filter((method) => typeof (Server.prototype as unknown as Record<string, unknown>)[method] !== 'function').map(
    (method) => `@modelcontextprotocol/server no longer dispatches with Server.${method}`,
  )
  if (typeof sdkValidateToolInput !== 'function') problems.push('@modelcontextprotocol/server no longer checks tool input in McpServer.validateToolInput')
  if (!('_transport' in new Server(SERVER_INFO))) problems.push('@modelcontextprotocol/server no longer keeps its transport in Protocol._transport')
  return problems
}

/** The server of one session (or one MCP 2026-07-28 request), answering from the catalog (`loadCatalog`). */
export function createMcpServer(catalog: Catalog, session: SessionContext): McpServer {
  return new SessionServer(catalog, session)
}

/**
 * How many answered request servers wait for the next MCP 2026-07-28 request, per combination of allow-lists
 * (≈ 8 KB of heap each). Requests in flight hold servers of their own besides (their caps bound them).
 */
export const IDLE_REQUEST_SERVERS = 256

/**
 * Servers for MCP 2026-07-28 requests, each reused from one answered request to the next: such a request
 * carries everything about its client, so its server keeps nothing of it once it is answered (the client's
 * identity is seeded anew for each request, modern-exchange.ts `seedClientIdentity`). Building a server per
 * request made a modern call cost 1.9× the CPU of a 2025 session call in the benchmark, most of it the garbage
 * collector copying the servers of the requests in flight; reused, 1.3×. A server is reused only by a principal
 * with the same allow-lists (they decide its catalog); the principal and the request's log are the request's own.
 */
export class RequestServers {
  private readonly idle = new Map<Registrations, SessionServer[]>()

  constructor(
    private readonly catalog: Catalog,
    private readonly services: Services,
  ) {}

  /** A server for one request of `principal`: an idle one, else a new one. */
  take(principal: Principal, log: FastifyBaseLogger): McpServer {
    const session: SessionContext = { principal, sessionId: undefined, log, services: this.services }
    const server = this.idle.get(catalogFor(this.catalog, principal))?.pop()
    if (!server) return new SessionServer(this.catalog, session)
    server.serveFor(session)
    return server
  }

  /**
   * Takes back the server of a request answered whole. The server of a request cancelled or cut off is not
   * given back: its handler may still be running.
   */
  giveBack(server: McpServer): void {
    if (!(server instanceof SessionServer)) return
    let idle = this.idle.get(server.registrations)
    if (!idle) this.idle.set(server.registrations, (idle = []))
    if (idle.length >= IDLE_REQUEST_SERVERS) return
    server.detach()
    idle.push(server)
  }

  /** Servers waiting for a request, over every combination of allow-lists. */
  get idleCount(): number {
    let count = 0
    for (const idle of this.idle.values()) count += idle.length
    return count
  }
}
