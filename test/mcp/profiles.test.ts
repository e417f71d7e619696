import t from 'tap'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { ALICE, BOB, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { resourceText, resultText } from './helpers.js'

const PROFILE = { name: 'Ada Lovelace', email: 'ada@example.com', age: 36 }

async function readError(read: Promise<unknown>): Promise<McpError> {
  try {
    await read
  } catch (error) {
    return error as McpError
  }
  throw new Error('the read succeeded')
}

for (const transport of TRANSPORTS) {
  t.test(`create_user_profile over ${transport}: stores per principal, readable as users://{id}/profile`, async (t) => {
    const server = await startServer(t)
    const alice = await connect(t, server.url, ALICE, transport)
    const created = await alice.callTool({ name: 'create_user_profile', arguments: PROFILE })
    t.notOk(created.isError)
    const profile = created.structuredContent as typeof PROFILE & { id: string; createdAt: string }
    t.match(profile, { ...PROFILE, id: /^[0-9a-f-]{36}$/, createdAt: String })
    const uri = `users://${profile.id}/profile`
    t.match((created.content as { type: string }[])[1], { type: 'resource_link', uri }, 'the result links to the resource')

    const read = await alice.readResource({ uri })
    t.same(JSON.parse(resourceText(read)), profile)
    const { resources } = await alice.listResources()
    t.ok(resources.some((resource) => resource.uri === uri), 'listed for its owner')

    // A second session of the same key sees the profile too: the store is per principal, not per session.
    const aliceAgain = await connect(t, server.url, ALICE, transport)
    t.same(JSON.parse(resourceText(await aliceAgain.readResource({ uri }))), profile)
  })

  t.test(`users://{id}/profile over ${transport}: another principal's profile reads as not found`, async (t) => {
    const server = await startServer(t)
    const alice = await connect(t, server.url, ALICE, transport)
    const bob = await connect(t, server.url, BOB, transport)
    const { id } = (await alice.callTool({ name: 'create_user_profile', arguments: PROFILE })).structuredContent as { id: string }
    const foreign = await readError(bob.readResource({ uri: `users://${id}/profile` }))
    const unknownId = '00000000-0000-4000-8000-000000000000'
    const unknown = await readError(bob.readResource({ uri: `users://${unknownId}/profile` }))
    t.equal(foreign.code, unknown.code)
    t.equal(foreign.message, unknown.message.replace(unknownId, id), 'indistinguishable from an id that never existed')
    t.match(foreign.message, /not found/)
    t.notOk((await bob.listResources()).resources.some((resource) => resource.uri.includes(id)), 'not listed for another key')
  })

  t.test(`create_user_profile over ${transport}: invalid fields are named`, async (t) => {
    const server = await startServer(t)
    const alice = await connect(t, server.url, ALICE, transport)
    const result = await alice.callTool({ name: 'create_user_profile', arguments: { name: '  ', email: 'not-an-email', age: 200.5 } })
    t.equal(result.isError, true)
    const text = resultText(result)
    t.match(text, /at name/)
    t.match(text, /at email/)
    t.match(text, /at age/)
    t.same(await alice.listResources().then(({ resources }) => resources.filter((r) => r.uri.startsWith('users://'))), [], 'nothing stored')
  })
}
