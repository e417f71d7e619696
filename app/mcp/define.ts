import { performance } from 'node:perf_hooks'
import {
  isInputRequiredResult,
  type CallToolResult,
  type InputRequiredResult,
  type McpServer,
  type StandardSchemaWithJSON,
  type ToolAnnotations,
} from '@modelcontextprotocol/server'
import { z } from 'zod'
import { requestContext, type RequestContext, type SessionContext } from './context.js'
import { SharedStateUnavailable } from './profiles.js'
import { roundOf } from '../protocol.js'

/**
 * What a tool's `run` resolves to: `toolJson(value)` on success, `toolError(message)` for an expected failure
 * (both build this), any MCP CallToolResult (`{ content: [{ type: 'text', text }] }`), or `inputRequired(...)`.
 * Named (an interface, not the SDK's inferred type) so that a wrong return type reads as "not assignable to
 * ToolResult" instead of the SDK's whole result schema.
 */
export interface ToolResult extends CallToolResult {}

/**
 * A tool's input: a zod shape (`{ a: z.number() }`), or, for JSON Schema that zod does not write (`$defs`,
 * `if`/`then`/`else`, vendor keywords), the schema itself through the SDK's `fromJsonSchema(...)`, which lists
 * it as written and validates arguments against it.
 */
export type ToolInput = z.ZodRawShape | StandardSchemaWithJSON
/** The arguments a tool's `run` receives for its input. */
export type ArgumentsOf<Input extends ToolInput> = Input extends StandardSchemaWithJSON<infer Args> ? Args : Input extends z.ZodRawShape ? z.infer<z.ZodObject<Input>> : never

/** One tool of the catalog: a file under app/mcp/tools/ exports one of these. */
export interface ToolDefinition<Input extends ToolInput = z.ZodRawShape> {
  name: string
  title?: string
  /** What a model reads to decide when and how to call the tool: say what it does, needs and returns. */
  description: string
  inputSchema: Input
  /** When given, the result's `structuredContent` is checked against it and clients can rely on its shape. */
  outputSchema?: z.ZodRawShape
  annotations?: ToolAnnotations
  /**
   * The result, or an `inputRequired(...)` asking the client for input first (sampling, elicitation, roots):
   * the tool is called again with the answers in `ctx.mcpReq.inputResponses`, on every protocol era.
   */
  run(args: ArgumentsOf<Input>, context: RequestContext): Promise<InputRequired | ToolResult>
}

export function defineTool<Input extends ToolInput>(definition: ToolDefinition<Input>): ToolDefinition<Input> {
  return definition
}

/** What `inputRequired(...)` builds: the tool asks the client for input and is called again with the answers. */
export interface InputRequired extends InputRequiredResult {}

/** A tool result that tells the model what went wrong, without internals. */
export function toolError(message: string): ToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] }
}

/** A successful result carrying `value` both as JSON text (for any client) and as structured content. */
export function toolJson(value: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value }
}

/**
 * The SDK takes schema objects (raw shapes only through deprecated overloads, which would build a new zod
 * object for every registration, that is for every tool and prompt of every session); built once per shape
 * here, the sessions share it.
 */
const objectSchemas = new WeakMap<z.ZodRawShape, z.ZodObject>()
export function objectSchema(shape: z.ZodRawShape): z.ZodObject {
  let schema = objectSchemas.get(shape)
  if (!schema) objectSchemas.set(shape, (schema = z.object(shape)))
  return schema
}

/** A zod shape as the object schema the SDK takes; a `fromJsonSchema(...)` schema as it is. */
function inputSchemaOf(input: ToolInput): StandardSchemaWithJSON {
  return '~standard' in input ? (input as StandardSchemaWithJSON) : objectSchema(input as z.ZodRawShape)
}

/**
 * Whether a tool mirrors a parameter in an `Mcp-Param-*` header (SEP-2243): an `x-mcp-header` on a property of
 * its input as JSON Schema (what `tools/list` shows), however the input is written.
 */
export function mirrorsParamHeader(tool: ToolDefinition): boolean {
  const json = inputSchemaOf(tool.inputSchema)['~standard'].jsonSchema.input({ target: 'draft-2020-12' }) as { properties?: Record<string, object> }
  return Object.values(json.properties ?? {}).some((property) => 'x-mcp-header' in property)
}

/**
 * Registers a tool on the server that holds a catalog, wrapped so that every round of a call writes one
 * audit line (never the arguments, which may hold secrets), counts in the metrics, and turns an unexpected
 * exception into a clean `isError` result instead of a stack trace.
 */
export function registerTool(server: McpServer, tool: ToolDefinition) {
  const { title, description, annotations } = tool
  const inputSchema = inputSchemaOf(tool.inputSchema)
  const outputSchema = tool.outputSchema && objectSchema(tool.outputSchema)
  server.registerTool(tool.name, { title, description, inputSchema, outputSchema, annotations }, async (args: unknown, ctx) => {
    const context = requestContext(ctx, tool.name)
    const started = performance.now()
    let outcome = 'ok'
    try {
      const result = await tool.run(args as never, context)
      if (isInputRequiredResult(result)) outcome = 'input_required'
      else if (result.isError) outcome = ctx.mcpReq.signal.aborted ? 'cancelled' : 'error'
      return result
    } catch (error) {
      if (error instanceof SharedStateUnavailable) {
        outcome = 'unavailable'
        return toolError(error.message)
      }
      outcome = ctx.mcpReq.signal.aborted ? 'cancelled' : 'failed'
      context.log.error({ err: error, tool: tool.name }, 'tool failed')
      return toolError(`Tool ${tool.name} failed unexpectedly`)
    } finally {
      const seconds = (performance.now() - started) / 1000
      context.services.metrics.toolCallSeconds.observe({ tool: tool.name }, seconds)
      auditToolCall(context, tool.name, outcome, { round: roundOf(ctx.mcpReq.inputResponses), durationMs: Math.round(seconds * 1000) })
    }
  })
}

/**
 * The one audit line of a call's round, counted in the metrics by outcome: written by the wrapper above, and
 * for a call the SDK refuses before it (`invalid_arguments`: its input does not match the schema).
 */
export function auditToolCall(session: SessionContext, tool: string, outcome: string, timing: { round?: number; durationMs: number }): void {
  session.services.metrics.toolCalls.inc({ tool, outcome })
  session.services.audit.info({ event: 'tool_call', principal: session.principal.name, oauthClient: session.principal.clientId, session: session.sessionId, tool, ...timing, outcome }, 'tool call')
}
