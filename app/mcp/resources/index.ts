// The resources this server offers: one line per file of this folder. app/mcp/catalog.ts reads every export
// here and lists them by name, so the order of these lines does not matter.
export { default as appConfig } from './app-config.js'
export { default as userProfile } from './user-profile.js'
