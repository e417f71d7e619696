import type { GetPromptResult, McpServer } from '@modelcontextprotocol/server'
import type { z } from 'zod'
import { requestContext, type RequestContext } from './context.js'
import { objectSchema, type InputRequired } from './define.js'

/**
 * One prompt of the catalog: a file under app/mcp/prompts/ exports one of these. Prompt arguments travel as
 * strings, so every field of `argsSchema` is a string schema (z.string(), z.enum([...]), optional or not).
 */
export interface PromptDefinition<Shape extends Record<string, z.ZodType<string | undefined>> = Record<string, z.ZodType<string | undefined>>> {
  name: string
  title?: string
  description: string
  argsSchema: Shape
  /**
   * The prompt's messages, or an `inputRequired(...)` asking the client for input first (elicitation,
   * sampling, roots): it is built again with the answers in `context.ctx.mcpReq.inputResponses`.
   */
  build(args: z.infer<z.ZodObject<Shape>>, context: RequestContext): GetPromptResult | InputRequired | Promise<GetPromptResult | InputRequired>
}

export function definePrompt<Shape extends Record<string, z.ZodType<string | undefined>>>(definition: PromptDefinition<Shape>): PromptDefinition<Shape> {
  return definition
}

/** A prompt of one user message, the shape most prompts take. */
export function userPrompt(description: string, text: string): GetPromptResult {
  return { description, messages: [{ role: 'user', content: { type: 'text', text } }] }
}

export function registerPrompt(server: McpServer, prompt: PromptDefinition) {
  const { title, description, argsSchema } = prompt
  server.registerPrompt(prompt.name, { title, description, argsSchema: objectSchema(argsSchema) }, (args, ctx) => prompt.build(args as never, requestContext(ctx, prompt.name)))
}
