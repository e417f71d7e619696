import t from 'tap'
import { ProtocolErrorCode, type ProtocolError } from '@modelcontextprotocol/client'
import { ALICE, BOB, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { startRedis } from '../helpers/processes.js'
import { resourceText, resultText } from './helpers.js'

const PROFILE = { name: 'Ada Lovelace', email: 'ada@example.com', age: 36 }

async function readError(read: Promise<unknown>): Promise<ProtocolError> {
  try {
    await read
  } catch (error) {
    return error as ProtocolError
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
    const unserved = await readError(bob.readResource({ uri: 'nothing://here' }))
    t.equal(foreign.code, unserved.code)
    t.equal(foreign.message, unserved.message.replace('nothing://here', `users://${id}/profile`), 'the SDK\'s own words for a URI nothing serves')
    t.notOk((await bob.listResources()).resources.some((resource) => resource.uri.includes(id)), 'not listed for another key')
  })

  t.test(`create_user_profile over ${transport}: invalid fields are named`, async (t) => {
    const server = await startServer(t)
    const alice = await connect(t, server.url, ALICE, transport)
    const result = await alice.callTool({ name: 'create_user_profile', arguments: { name: '  ', email: 'not-an-email', age: 200.5 } })
    t.equal(result.isError, true)
    const text = resultText(result)
    t.match(text, /\bname: /)
    t.match(text, /\bemail: /)
    t.match(text, /\bage: /)
    t.same(await alice.listResources().then(({ resources }) => resources.filter((r) => r.uri.startsWith('users://'))), [], 'nothing stored')
  })
}

t.test('users://{id}/profile with a malformed %-escape reads as not found, logged as nothing worse than a miss', async (t) => {
  const server = await startServer(t)
  const alice = await connect(t, server.url, ALICE, 'streamable-http')
  for (const uri of ['users://%E0%A4%A/profile', 'users://%zz/profile']) {
    const error = await readError(alice.readResource({ uri }))
    t.equal(error.code, ProtocolErrorCode.InvalidParams, `${uri}: invalid params (-32602), not an internal error`)
    t.match(error.message, /not found/, `${uri}: says not found`)
  }
  const errors = server.logs.records().filter((record) => (record.level as number) >= 50)
  t.same(errors, [], 'nothing logged at error level (no stack)')
  t.notMatch(server.logs.text, /URIError/, 'the decoding failure is no logged exception')
  const created = await alice.callTool({ name: 'create_user_profile', arguments: PROFILE })
  t.notOk(created.isError, 'the session still works')
})

for (const store of ['memory', 'redis']) t.test(`profiles are bounded per key (${store}): past MCP_MAX_PROFILES_PER_KEY a clear isError, other keys unaffected`, async (t) => {
  const redis: Record<string, string> = store === 'redis' ? { REDIS_URL: (await startRedis(t)).url } : {}
  const server = await startServer(t, { MCP_MAX_PROFILES_PER_KEY: '3', ...redis })
  const alice = await connect(t, server.url, ALICE, 'streamable-http')
  const bob = await connect(t, server.url, BOB, 'sse')
  for (let index = 0; index < 3; index++) t.notOk((await alice.callTool({ name: 'create_user_profile', arguments: PROFILE })).isError, `profile ${index + 1} stored`)
  const full = await alice.callTool({ name: 'create_user_profile', arguments: PROFILE })
  t.equal(full.isError, true, 'the fourth is refused')
  t.equal(resultText(full), 'This key already holds the maximum of 3 profiles; no more can be stored')
  const { resources } = await alice.listResources()
  t.equal(resources.filter((resource) => resource.uri.startsWith('users://')).length, 3, 'nothing more was stored')
  t.notOk((await bob.callTool({ name: 'create_user_profile', arguments: PROFILE })).isError, 'another key still stores its own')
})
