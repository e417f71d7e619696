import { inputRequired, inputResponse, type ElicitRequestFormParams } from '@modelcontextprotocol/server'
import type { InputRequired, ToolResult } from '../define.js'
import type { RequestContext } from '../context.js'

/**
 * A form elicitation written once for every era: asked as an input-required result (MRTR on 2026-07-28, a
 * real `elicitation/create` request through the SDK's shim on a 2025 session), then answered with the
 * client's action and content as text (`<label>: action=…, content={…}`), as the SDKs' fixtures answer.
 */
export function elicitOnce(ctx: RequestContext['ctx'], label: string, params: Pick<ElicitRequestFormParams, 'message' | 'requestedSchema'>): InputRequired | ToolResult {
  const answer = inputResponse(ctx.mcpReq.inputResponses, 'form')
  if (answer.kind !== 'elicit') return inputRequired({ inputRequests: { form: inputRequired.elicit(params) } })
  return { content: [{ type: 'text', text: `${label}: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}` }] }
}
