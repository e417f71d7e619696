import { inputRequired } from '@modelcontextprotocol/server'

/** The input requests the MRTR (SEP-2322) fixtures ask with, as the SDKs' own conformance servers word them. */
export const askName = (message = 'What is your name?') =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } })

export const askConfirmation = () =>
  inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } })

export const askCompletion = (text: string, maxTokens: number) => inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text } }], maxTokens })

/** The text of a sampling answer, or undefined when the answer is missing or not text. */
export function completionText(answer: unknown): string | undefined {
  const content = (answer as { content?: { type?: string; text?: unknown } } | undefined)?.content
  return content?.type === 'text' && typeof content.text === 'string' ? content.text : undefined
}
