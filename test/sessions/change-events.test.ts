import t from 'tap'
import { Redis } from 'ioredis'
import type { Client } from '@modelcontextprotocol/client'
import { ensureBuilt } from '../helpers/build.js'
import { bearer, postJson, type Tap } from '../helpers/http.js'
import { eventually, startRedis, startTask } from '../helpers/processes.js'
import { ALICE, TRANSPORTS, connect, resultJson, startServer } from '../helpers/server.js'

ensureBuilt()

// Change events of the catalog: a profile updated reaches the 2025 sessions subscribed to its resource
// (resources/subscribe), a profile created reaches the 2026-07-28 subscriptions/listen streams that asked for
// resource list changes; across tasks through Redis.

const MODERN = '2026-07-28'
const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'listen-test', version: '1.0.0' } }
const modernHeaders = (method: string, name?: string) => ({ ...bearer(ALICE), 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name && { 'mcp-name': name }) })

/** The resource URIs a client was told were updated. */
function updatesOf(client: Client): string[] {
  const uris: string[] = []
  client.setNotificationHandler('notifications/resources/updated', (notification) => void uris.push(notification.params.uri))
  return uris
}

async function createProfile(client: Client, name: string): Promise<{ id: string; uri: string }> {
  const { id } = resultJson(await client.callTool({ name: 'create_user_profile', arguments: { name, email: 'ada@example.com', age: 36 } }))
  return { id, uri: `users://${id}/profile` }
}

/** A subscriptions/listen stream opened raw, its events collected as they arrive. */
async function listen(t: Tap, url: string, notifications: Record<string, unknown>) {
  const response = await postJson(`${url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params: { notifications, _meta: envelope } }, modernHeaders('subscriptions/listen'))
  t.equal(response.status, 200, 'the listen stream opened')
  const reader = response.body!.getReader()
  t.teardown(() => reader.cancel().catch(() => {}))
  const stream = { text: '' }
  void (async () => {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) stream.text += new TextDecoder().decode(chunk.value)
  })().catch(() => {})
  t.ok(await eventually(() => stream.text.includes('notifications/subscriptions/acknowledged')), 'and was acknowledged')
  return stream
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: resources/subscribe, then an update of the profile notifies the session; unsubscribe stops it`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    t.match(client.getServerCapabilities()?.resources, { subscribe: true }, 'the server says it takes resource subscriptions')
    const updates = updatesOf(client)
    const first = await createProfile(client, 'Ada')
    const second = await createProfile(client, 'Grace')
    // A session's subscription handlers are registered on its first subscribe or unsubscribe: either may come first.
    t.same(await client.unsubscribeResource({ uri: first.uri }), {}, 'unsubscribing from what it never subscribed to is answered')
    t.same(await client.subscribeResource({ uri: first.uri }), {}, 'subscribed')
    await client.callTool({ name: 'update_user_profile', arguments: { id: second.id, age: 37 } })
    await client.callTool({ name: 'update_user_profile', arguments: { id: first.id, age: 37 } })
    t.ok(await eventually(() => updates.length > 0), 'told of an update')
    t.same(updates, [first.uri], 'of the subscribed profile only')
    const read = await client.readResource({ uri: first.uri })
    t.match(JSON.parse(String((read.contents[0] as { text: string }).text)), { id: first.id, age: 37 }, 'which reads as updated')

    await client.unsubscribeResource({ uri: first.uri })
    await client.subscribeResource({ uri: second.uri })
    await client.callTool({ name: 'update_user_profile', arguments: { id: first.id, age: 38 } })
    await client.callTool({ name: 'update_user_profile', arguments: { id: second.id, age: 38 } })
    t.ok(await eventually(() => updates.length > 1), 'told of the next update')
    t.same(updates, [first.uri, second.uri], 'after unsubscribing, only the profile still subscribed')
  })
}

t.test('2026-07-28: subscriptions/listen streams hear list changes and updates of the resources they name', async (t) => {
  const server = await startServer(t)
  const lists = await listen(t, server.url, { resourcesListChanged: true })
  const tools = await listen(t, server.url, { toolsListChanged: true })
  const client = await connect(t, server.url, ALICE, 'streamable-http')
  const profile = await createProfile(client, 'Ada')
  t.ok(await eventually(() => lists.text.includes('notifications/resources/list_changed')), 'a created profile is a resource list change')
  const updated = await listen(t, server.url, { resourceSubscriptions: [profile.uri] })
  await client.callTool({ name: 'update_user_profile', arguments: { id: profile.id, name: 'Ada L.' } })
  t.ok(await eventually(() => updated.text.includes('notifications/resources/updated')), 'an update reaches the stream naming the resource')
  t.match(updated.text, profile.uri, 'with its URI')
  t.notMatch(tools.text, /list_changed|resources\/updated/, 'a stream that asked for tool list changes hears neither')
})

t.test('across tasks through Redis: an update on one task reaches a session and a listen stream on another', async (t) => {
  const redis = await startRedis(t)
  const owner = await startTask(t, { REDIS_URL: redis.url })
  const other = await startTask(t, { REDIS_URL: redis.url })
  const probe = new Redis(redis.url)
  t.teardown(() => probe.quit())
  const subscribed = async () => ((await probe.pubsub('NUMSUB', 'mcp:change-events')) as [string, number])[1]
  t.ok(await eventually(async () => (await subscribed()) === 2), 'both tasks listen on the change channel')

  const session = await connect(t, owner.url, ALICE, 'streamable-http')
  const updates = updatesOf(session)
  const elsewhere = await connect(t, other.url, ALICE, 'sse')
  const profile = await createProfile(elsewhere, 'Ada')
  await session.subscribeResource({ uri: profile.uri })
  const lists = await listen(t, owner.url, { resourcesListChanged: true })
  await elsewhere.callTool({ name: 'update_user_profile', arguments: { id: profile.id, age: 40 } })
  t.ok(await eventually(() => updates.includes(profile.uri)), "the owner task's session heard of the update made on the other task")
  await createProfile(elsewhere, 'Grace')
  t.ok(await eventually(() => lists.text.includes('notifications/resources/list_changed')), "the owner task's listen stream heard of the profile created on the other task")
})
