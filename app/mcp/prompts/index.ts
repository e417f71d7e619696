// The prompts this server offers: one line per file of this folder. app/mcp/catalog.ts reads every export here
// and lists them by name, so the order of these lines does not matter.
export { default as debugError } from './debug-error.js'
export { default as reviewCode } from './review-code.js'
