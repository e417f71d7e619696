import t from 'tap'
import { exampleCatalog, loadCatalog } from '../../app/mcp/catalog.js'
import { fixtures } from '../../app/mcp/conformance/index.js'
import { ALICE, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { callError, resultText } from './helpers.js'

const FIXTURE_TOOLS = fixtures.tools.map((tool) => tool.name)
const FIXTURE_PROMPTS = fixtures.prompts.map((prompt) => prompt.name)
const FIXTURE_RESOURCES = fixtures.resources.map((resource) => resource.uri)

t.test('loadCatalog: the examples alone unless MCP_CONFORMANCE_FIXTURES is on, then the examples and every fixture', async (t) => {
  t.equal(await loadCatalog({ conformanceFixtures: false }), exampleCatalog, 'off: the example catalog itself')
  t.notOk(exampleCatalog.requestState, 'off: no requestState hook (none of the examples hands out state)')
  const withFixtures = await loadCatalog({ conformanceFixtures: true })
  t.same(
    withFixtures.tools.map((tool) => tool.name),
    [...exampleCatalog.tools.map((tool) => tool.name), ...FIXTURE_TOOLS],
  )
  t.same(
    withFixtures.prompts.map((prompt) => prompt.name),
    [...exampleCatalog.prompts.map((prompt) => prompt.name), ...FIXTURE_PROMPTS],
  )
  t.same(
    withFixtures.resources.map((resource) => resource.uri),
    [...exampleCatalog.resources.map((resource) => resource.uri), ...FIXTURE_RESOURCES],
  )
  t.equal(withFixtures.requestState, fixtures.requestState, "on: the fixtures' requestState hook")
  const names = [...FIXTURE_TOOLS, ...FIXTURE_PROMPTS, ...FIXTURE_RESOURCES]
  t.equal(new Set(names).size, names.length, 'no fixture name twice')
  t.notOk(
    names.some((name) => [...exampleCatalog.tools, ...exampleCatalog.prompts].some((example) => example.name === name)),
    'no fixture shadows an example',
  )
})

for (const transport of TRANSPORTS) {
  t.test(`over ${transport}: the fixtures are listed and served only with MCP_CONFORMANCE_FIXTURES=1`, async (t) => {
    const plain = await connect(t, (await startServer(t)).url, ALICE, transport)
    const plainTools = (await plain.listTools()).tools.map((tool) => tool.name)
    t.same(plainTools.sort(), exampleCatalog.tools.map((tool) => tool.name).sort(), 'off: the examples only')
    t.notOk((await plain.listPrompts()).prompts.some((prompt) => FIXTURE_PROMPTS.includes(prompt.name)), 'off: no fixture prompt')
    t.notOk((await plain.listResources()).resources.some((resource) => FIXTURE_RESOURCES.includes(resource.uri)), 'off: no fixture resource')
    t.match((await callError(plain.callTool({ name: 'test_simple_text', arguments: {} }))).message, /Tool test_simple_text not found/, 'off: a fixture cannot be called')

    const server = await startServer(t, { MCP_CONFORMANCE_FIXTURES: '1' })
    const client = await connect(t, server.url, ALICE, transport)
    const tools = (await client.listTools()).tools
    t.same(tools.map((tool) => tool.name).sort(), [...exampleCatalog.tools.map((tool) => tool.name), ...FIXTURE_TOOLS].sort(), 'on: examples and fixtures')
    t.same(
      (await client.listPrompts()).prompts.map((prompt) => prompt.name).sort(),
      [...exampleCatalog.prompts.map((prompt) => prompt.name), ...FIXTURE_PROMPTS].sort(),
    )
    const { resources } = await client.listResources()
    const { resourceTemplates } = await client.listResourceTemplates()
    const offered = [...resources.map((resource) => resource.uri), ...resourceTemplates.map((template) => template.uriTemplate)]
    for (const uri of FIXTURE_RESOURCES) t.ok(offered.includes(uri), `${uri} is listed`)

    t.equal(resultText(await client.callTool({ name: 'test_simple_text', arguments: {} })), 'This is a simple text response for testing.')
    const read = await client.readResource({ uri: 'test://template/42/data' })
    t.same(JSON.parse((read.contents[0] as { text: string }).text), { id: '42', templateTest: true, data: 'Data for ID: 42' }, 'a template read echoes its id')
    const schema = tools.find((tool) => tool.name === 'json_schema_2020_12_tool')?.inputSchema as Record<string, unknown>
    t.match(schema, { $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: { address: { $anchor: 'addressDef' } }, if: {}, then: {}, else: {}, additionalProperties: false }, 'a fromJsonSchema input is listed as written')
    const refused = await client.callTool({ name: 'json_schema_2020_12_tool', arguments: { name: 'x', unexpected: 1 } })
    t.equal(refused.isError, true, 'and arguments are validated against it')
  })
}
