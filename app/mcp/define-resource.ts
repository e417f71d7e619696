import {
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
  type ReadResourceResult,
  type Resource,
  type ServerContext,
  type Variables,
} from '@modelcontextprotocol/server'
import { requestContext, type RequestContext } from './context.js'
import { SharedStateUnavailable } from './profiles.js'

/** One resource or resource template of the catalog: a file under app/mcp/resources/ exports one of these. */
export interface ResourceDefinition {
  name: string
  title?: string
  description: string
  mimeType: string
  /** A fixed URI such as `config://app`, or an RFC 6570 template such as `users://{user_id}/profile`. */
  uri: string
  /** Templates only: the concrete resources this caller may read, for `resources/list`. */
  list?(context: RequestContext): Promise<Resource[]>
  /** `variables` holds the template's parts of the URI (empty for a fixed URI). */
  read(uri: URL, variables: Variables, context: RequestContext): Promise<ReadResourceResult>
}

export function defineResource(definition: ResourceDefinition): ResourceDefinition {
  return definition
}

/**
 * The very answer the SDK gives for a URI nothing serves (`ResourceNotFoundError`: -32602, "Resource not
 * found: <uri>", data `{ uri }`), so "exists but not yours" cannot be told apart.
 */
export function resourceNotFound(uri: URL): ProtocolError {
  return new ResourceNotFoundError(uri.href)
}

const isTemplate = (uri: string) => /\{[^}]+\}/.test(uri)

/** Registers a resource on the server that holds a catalog; unexpected failures reach the client without internals. */
export function registerResource(server: McpServer, resource: ResourceDefinition) {
  const { name, title, description, mimeType } = resource
  const read = async (uri: URL, variables: Variables, ctx: ServerContext) => {
    const context = requestContext(ctx, name)
    try {
      return await resource.read(uri, variables, context)
    } catch (error) {
      if (error instanceof ProtocolError) throw error
      if (error instanceof SharedStateUnavailable) throw new ProtocolError(ProtocolErrorCode.InternalError, error.message)
      context.log.error({ err: error, resource: name }, 'resource read failed')
      throw new ProtocolError(ProtocolErrorCode.InternalError, `Resource ${name} could not be read`)
    }
  }
  const metadata = { title, description, mimeType }
  if (!isTemplate(resource.uri)) {
    server.registerResource(name, resource.uri, metadata, (uri, ctx) => read(uri, {}, ctx))
    return
  }
  const list = resource.list
  const template = new ResourceTemplate(resource.uri, {
    list: list && (async (ctx) => ({ resources: await list(requestContext(ctx, name)) })),
  })
  server.registerResource(name, template, metadata, read)
}
