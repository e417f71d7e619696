import t from 'tap'
import { ALICE, BOB, TRANSPORTS, connect, resultJson, startServer } from '../helpers/server.js'
import { bearer, nothingLeaked, request } from '../helpers/http.js'

const COOKIE = 'AWSALB=sticky-cookie-value-42'

t.test('authorization, x-api-key and cookie headers are redacted wherever a log line carries them', async (t) => {
  const server = await startServer(t)
  const headers = { authorization: `Bearer ${ALICE}`, 'x-api-key': BOB, cookie: COOKIE }
  // What a developer might write in a handler: the request's headers, directly or under req.
  server.app.log.child({ principal: 'alice' }).info({ headers, req: { headers } }, 'handler logged headers')
  server.app.log.info({ res: { headers: { 'set-cookie': COOKIE } } }, 'handler logged a response')
  const [line] = server.logs.records().slice(-2)
  t.match(line, { headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', cookie: '[redacted]' } })
  // Under req/res, Fastify's serializers drop headers altogether; either way nothing secret is written.
  t.notOk(server.logs.text.includes(ALICE) || server.logs.text.includes(BOB), 'no key logged')
  t.notOk(server.logs.text.includes('sticky-cookie-value'), 'no cookie value logged')
  await nothingLeaked(t, server)
})

t.test('requests carrying keys and cookies, good and bad, leave no secret in any log line', async (t) => {
  const server = await startServer(t, { LOG_LEVEL: 'trace' })
  const wrong = 'wrong-secret-0123456789'
  const attempts: Record<string, string>[] = [
    { ...bearer(ALICE), cookie: COOKIE },
    { 'x-api-key': BOB, cookie: COOKIE },
    { ...bearer(wrong), cookie: COOKIE },
    { 'x-api-key': wrong },
  ]
  for (const headers of attempts) {
    await (await request(`${server.url}/mcp`, { headers: { ...headers, 'mcp-session-id': 'unknown' } })).body?.cancel()
  }
  const client = await connect(t, server.url, ALICE, 'sse')
  await client.callTool({ name: 'whoami', arguments: {} })
  t.ok(server.logs.lines.length > 5, 'there are log lines to look at')
  for (const secret of [ALICE, BOB, wrong, 'sticky-cookie-value']) t.notOk(server.logs.text.includes(secret), 'secret absent')
})

t.test('every request line of an authenticated request names the principal, never the key', async (t) => {
  const server = await startServer(t, { LOG_LEVEL: 'debug' })
  for (const transport of TRANSPORTS) {
    const client = await connect(t, server.url, BOB, transport)
    await client.callTool({ name: 'whoami', arguments: {} })
    await client.close()
  }
  const requestLines = server.logs.records().filter((record) => record.reqId !== undefined)
  t.ok(requestLines.some((record) => record.msg === 'request completed'), 'request lines were written')
  for (const record of requestLines) t.equal(record.principal, 'bob', `${record.msg}: principal bob`)
  t.notOk(server.logs.text.includes(BOB), 'the key itself is never logged')
})

for (const transport of TRANSPORTS) {
  t.test(`one tool_call audit line per call over ${transport}: principal, session, tool, duration, outcome`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    const argumentValue = 'argument-value-that-may-be-secret'
    const first = resultJson(await client.callTool({ name: 'whoami', arguments: {} }))
    await client.callTool({ name: 'whoami', arguments: { note: argumentValue } })
    const audits = server.logs.records().filter((record) => record.event === 'tool_call')
    t.equal(audits.length, 2, 'one line per call')
    for (const audit of audits) {
      t.match(audit, { principal: 'alice', session: first.sessionId, tool: 'whoami', durationMs: Number, outcome: 'ok', level: 30 })
      t.notOk('arguments' in audit || 'args' in audit, 'no arguments field')
    }
    t.notOk(server.logs.text.includes(argumentValue), 'argument values are never logged')
  })
}
