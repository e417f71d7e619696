// The tools this server offers: one line per file of this folder. app/mcp/catalog.ts reads every export here
// and lists them by tool name, so the order of these lines does not matter.
export { default as add } from './add.js'
export { default as createUserProfile } from './create-user-profile.js'
export { default as getWeather } from './get-weather.js'
export { default as longTask } from './long-task.js'
export { default as readFile } from './read-file.js'
export { default as summarize } from './summarize.js'
export { default as updateUserProfile } from './update-user-profile.js'
export { default as whoami } from './whoami.js'
