// The AWS Lambda entry (handler `dist/app/lambda.handler`): the request-scoped leg of the same server, built
// once per instance at init (outside the handler, so every invocation of a warm instance reuses it) and fed
// each function URL event as an HTTP request dispatched in process (app/lambda/handler.ts). docs/serverless.md
// explains the leg; test/lambda/lambda.test.ts runs this file under a stand-in of the streaming runtime.
import { pino } from 'pino'
import { configOrExit, exitWithProblems } from './cli.js'
import { LAMBDA_LIMITS } from './config.js'
import { httpEventHandler } from './lambda/handler.js'
import { withPublicUrl } from './lambda/public-url.js'
import { sdkSelfTest } from './self-test.js'
import { buildServer } from './server.js'

/**
 * What a function always is, whatever its environment says: request-scoped (no session outlives an
 * invocation), with no peers to relay to, and behind one proxy hop, this handler, which dispatches each request
 * from a loopback address (app/lambda/in-process.ts) and writes the client's address into X-Forwarded-For.
 */
const FUNCTION_SETTINGS = { MCP_STATELESS: 'true', MCP_PEER_PORT: '0', MCP_TRUST_PROXY: 'loopback' }

const environment = await withPublicUrl(process.env).catch((error: Error) => exitWithProblems([error.message]))
const config = configOrExit({ stdio: false, help: false, problems: [] }, { ...environment, ...FUNCTION_SETTINGS })
if (config.maxBodyBytes > LAMBDA_LIMITS.requestBytes) {
  exitWithProblems([`MCP_MAX_BODY_BYTES: at most ${LAMBDA_LIMITS.requestBytes} on AWS Lambda (a function URL's request payload limit)`])
}
const sdkProblem = await sdkSelfTest(config)
if (sdkProblem) {
  process.stderr.write(`SDK self-test failed (the installed @modelcontextprotocol/server does not work as this server uses it): ${sdkProblem}\n`)
  process.exit(78)
}
// Log lines are written as they happen: Lambda freezes the instance once an invocation returns, and an audit
// line still in an asynchronous buffer would wait for the next invocation, or be lost with the instance.
const app = await buildServer(config, { logStream: pino.destination({ dest: 1, sync: true }) as unknown as NodeJS.WritableStream })
await app.ready()

export const handler = awslambda.streamifyResponse(httpEventHandler(app, { ...config.lambda, sessionUrl: config.sessionUrl }))
