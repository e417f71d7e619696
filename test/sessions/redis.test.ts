import t from 'tap'
import { ALICE, connect, resultJson } from '../helpers/server.js'
import { eventually, startRedis, startTask } from '../helpers/processes.js'

const readiness = async (url: string) => {
  const response = await fetch(`${url}/ready`)
  return { status: response.status, body: (await response.json()) as { reasons?: string[] } }
}
const profile = { name: 'Ada', email: 'ada@example.com', age: 36 }

t.test('Redis stopped mid-run: readiness 503, clear errors, no crash; recovery when it returns', async (t) => {
  const redis = await startRedis(t)
  const task = await startTask(t, { REDIS_URL: redis.url })
  t.ok(await eventually(async () => (await readiness(task.url)).status === 200), 'ready once Redis is connected')
  const client = await connect(t, task.url, ALICE, 'streamable-http')
  const created = await client.callTool({ name: 'create_user_profile', arguments: profile })
  t.notOk(created.isError, 'profiles are stored in Redis')

  await redis.child.stop()
  t.ok(await eventually(async () => (await readiness(task.url)).status === 503), '/ready turns 503 while Redis is down')
  t.match((await readiness(task.url)).body.reasons, ['redis unreachable'], 'and says why')

  t.equal(resultJson(await client.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'calls that need no Redis still work (limits let them through)')
  const refused = await client.callTool({ name: 'create_user_profile', arguments: profile })
  t.ok(refused.isError, 'a call that needs Redis fails cleanly')
  t.match(JSON.stringify(refused.content), /Shared state \(Redis\) is unreachable/, 'with a clear reason')
  t.ok(task.child.running, 'the process did not crash')
  t.notMatch(task.child.output, new RegExp(redis.url), 'the Redis URL is not logged')

  await startRedis(t, redis.port)
  t.ok(await eventually(async () => (await readiness(task.url)).status === 200, 15_000), '/ready returns to 200 when Redis is back')
  const again = await client.callTool({ name: 'create_user_profile', arguments: profile })
  t.notOk(again.isError, 'and profile calls work again')
})
