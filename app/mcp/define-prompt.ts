import type { GetPromptResult, McpServer } from '@modelcontextprotocol/server'
import type { z } from 'zod'
import { objectSchema } from './define.js'

/**
 * One prompt of the catalog: a file under app/mcp/prompts/ exports one of these. Prompt arguments travel as
 * strings, so every field of `argsSchema` is a string schema (z.string(), z.enum([...]), optional or not).
 */
export interface PromptDefinition<Shape extends Record<string, z.ZodType<string | undefined>> = Record<string, z.ZodType<string | undefined>>> {
  name: string
  title?: string
  description: string
  argsSchema: Shape
  build(args: z.infer<z.ZodObject<Shape>>): GetPromptResult
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
  server.registerPrompt(prompt.name, { title, description, argsSchema: objectSchema(argsSchema) }, (args) => prompt.build(args as never))
}
