import { readdirSync } from 'node:fs'
import t from 'tap'
import { ProtocolErrorCode } from '@modelcontextprotocol/client'
import { catalogNames, exampleCatalog } from '../../app/mcp/catalog.js'
import { ALICE, KEYS, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { callError, resourceText as resourceTextOf, resultText } from './helpers.js'

const CAROL = 'carol-secret-0123456789ab'
const ENV = { MCP_API_KEYS: `${KEYS},carol:${CAROL}:tools=add|whoami` }

// Derived from the catalog, so adding a tool needs no change here (the examples these tests call by name
// are add, whoami, read_file and the two prompts; removing one of them means removing its test too).
const ALL_TOOLS = [...catalogNames.tools].sort()
const ALL_PROMPTS = [...catalogNames.prompts].sort()

t.test('every file of app/mcp/tools/, resources/ and prompts/ is in the catalog (its line in index.ts), listed by name', async (t) => {
  for (const folder of ['tools', 'resources', 'prompts'] as const) {
    const listed: unknown[] = exampleCatalog[folder]
    const files = readdirSync(new URL(`../../app/mcp/${folder}/`, import.meta.url)).filter((file) => file.endsWith('.ts') && file !== 'index.ts')
    for (const file of files) {
      const module = (await import(`../../app/mcp/${folder}/${file.replace(/\.ts$/, '.js')}`)) as { default: unknown }
      t.ok(listed.includes(module.default), `app/mcp/${folder}/${file} has its line in app/mcp/${folder}/index.ts`)
    }
    t.equal(listed.length, files.length, `${folder}: one entry per file`)
    const names = exampleCatalog[folder].map((entry) => entry.name)
    t.same(names, [...names].sort(), `${folder} are listed by name`)
  }
})

for (const transport of TRANSPORTS) {
  t.test(`catalog over ${transport}: every tool, resource and prompt is listed with a description`, async (t) => {
    const server = await startServer(t, ENV)
    const client = await connect(t, server.url, ALICE, transport)
    const { tools } = await client.listTools()
    t.same(tools.map((tool) => tool.name), ALL_TOOLS, 'every tool, by name')
    for (const tool of tools) {
      t.ok(tool.description && tool.description.length > 20, `${tool.name} has a description a model can use`)
      t.equal(tool.inputSchema.type, 'object', `${tool.name} has an input schema`)
    }
    const { resources } = await client.listResources()
    const { resourceTemplates } = await client.listResourceTemplates()
    const offered = new Set([...resources.map((resource) => resource.uri), ...resourceTemplates.map((template) => template.uriTemplate)])
    for (const uri of catalogNames.resources) t.ok(offered.has(uri), `${uri} is listed`)
    const { prompts } = await client.listPrompts()
    t.same(prompts.map((prompt) => prompt.name), ALL_PROMPTS, 'every prompt, by name')
  })

  t.test(`add over ${transport}: sums, and a bad input is an isError result with the field-level reasons`, async (t) => {
    const server = await startServer(t, ENV)
    const client = await connect(t, server.url, ALICE, transport)
    const ok = await client.callTool({ name: 'add', arguments: { a: 2.5, b: -7 } })
    t.notOk(ok.isError)
    t.same(ok.structuredContent, { sum: -4.5 })
    t.same(JSON.parse(resultText(ok)), { sum: -4.5 })

    const bad = await client.callTool({ name: 'add', arguments: { a: 'two', b: Number.MAX_VALUE * 0 } })
    t.equal(bad.isError, true)
    t.match(resultText(bad), /\ba: Invalid input: expected number, received string/, 'names the field and the reason')
    t.notMatch(resultText(bad), /\n\s+at /, 'no stack trace')

    const missing = await client.callTool({ name: 'add', arguments: { a: 1 } })
    t.equal(missing.isError, true)
    t.match(resultText(missing), /\bb: /)
  })

  t.test(`allow-list over ${transport}: a key limited to some tools neither lists nor calls the others`, async (t) => {
    const server = await startServer(t, ENV)
    const carol = await connect(t, server.url, CAROL, transport)
    const { tools } = await carol.listTools()
    t.same(tools.map((tool) => tool.name).sort(), ['add', 'whoami'])
    // SDK v2 answers an unknown tool with a JSON-RPC -32602 error, as the spec's tools page lists it under
    // protocol errors (SDK v1 answered an isError result).
    const refused = await callError(carol.callTool({ name: 'read_file', arguments: { path: 'x' } }))
    const unknown = await callError(carol.callTool({ name: 'no_such_tool', arguments: {} }))
    t.equal(refused.code, ProtocolErrorCode.InvalidParams)
    t.match(refused.message, /Tool read_file not found/)
    t.equal(refused.code, unknown.code)
    t.equal(refused.message, unknown.message.replace('no_such_tool', 'read_file'), 'answers as for a tool that does not exist')
    const allowed = await carol.callTool({ name: 'add', arguments: { a: 1, b: 2 } })
    t.same(allowed.structuredContent, { sum: 3 })

    const alice = await connect(t, server.url, ALICE, transport)
    t.equal((await alice.listTools()).tools.length, ALL_TOOLS.length, 'a key without an allow-list sees every tool')

    // Sessions of one allow-list answer from one registration of the catalog (app/mcp/server.ts): each call
    // must still run as its own session, whichever sessions are open beside it.
    const carolAgain = await connect(t, server.url, CAROL, transport)
    const whoami = async (client: typeof carol) => (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { principal: string; sessionId: string }
    const [first, second, third] = await Promise.all([whoami(carol), whoami(carolAgain), whoami(alice)])
    t.match(first, { principal: 'carol' })
    t.match(second, { principal: 'carol' })
    t.match(third, { principal: 'alice' })
    t.not(first.sessionId, second.sessionId, 'two sessions of one key each answer as themselves')
    t.not(first.sessionId, third.sessionId)
    t.same((await carolAgain.listTools()).tools.map((tool) => tool.name).sort(), ['add', 'whoami'])
  })

  t.test(`allow-list over ${transport}: prompts= and resources= limit what a key lists, gets and reads`, async (t) => {
    const dave = 'dave-secret-0123456789ab'
    const server = await startServer(t, { MCP_API_KEYS: `${KEYS},dave:${dave}:prompts=debug_error:resources=config://app` })
    const client = await connect(t, server.url, dave, transport)
    t.same((await client.listPrompts()).prompts.map((prompt) => prompt.name), ['debug_error'])
    t.same((await client.listResources()).resources.map((resource) => resource.uri), ['config://app'])
    t.same((await client.listResourceTemplates()).resourceTemplates, [], 'the profile template is not offered')
    t.equal((await client.listTools()).tools.length, ALL_TOOLS.length, 'no tools=: every tool')
    const hiddenPrompt = await callError(client.getPrompt({ name: 'review_code', arguments: { code: 'x' } }))
    const unknownPrompt = await callError(client.getPrompt({ name: 'no_such_prompt', arguments: {} }))
    t.equal(hiddenPrompt.message, unknownPrompt.message.replace('no_such_prompt', 'review_code'), 'a prompt not allowed answers as one that does not exist')
    const hiddenResource = await callError(client.readResource({ uri: 'users://u1/profile' }))
    const unknownResource = await callError(client.readResource({ uri: 'nothing://here' }))
    t.equal(hiddenResource.code, unknownResource.code, 'a resource not allowed answers as one that does not exist')
    t.match(hiddenResource.message, /Resource not found/)
    const config = JSON.parse(resourceTextOf(await client.readResource({ uri: 'config://app' })))
    t.match(config.caller, { principal: 'dave', allowedTools: 'all', allowedPrompts: ['debug_error'], allowedResources: ['config://app'] })
  })

  t.test(`audit over ${transport}: one line per call with principal, session, tool, outcome and no arguments`, async (t) => {
    const server = await startServer(t, ENV)
    const client = await connect(t, server.url, ALICE, transport)
    await client.callTool({ name: 'add', arguments: { a: 123456789, b: 1 } })
    const audit = server.logs.records().filter((record) => record.event === 'tool_call')
    t.equal(audit.length, 1)
    t.match(audit[0], { principal: 'alice', tool: 'add', outcome: 'ok', durationMs: Number })
    t.match(audit[0].session, /^v1\./)
    t.notMatch(server.logs.text, /123456789/, 'arguments are not logged')

    const refused = await client.callTool({ name: 'add', arguments: { a: 'not a number 987654321', b: 1 } })
    t.equal(refused.isError, true, 'a call failing its input schema is refused by the SDK')
    const lines = server.logs.records().filter((record) => record.event === 'tool_call')
    t.match(lines[1], { principal: 'alice', tool: 'add', outcome: 'invalid_arguments' }, 'and still writes its audit line')
    t.equal(lines[1].session, audit[0].session)
    t.notMatch(server.logs.text, /987654321/, 'without the arguments')
  })
}
