import { createHash } from 'node:crypto'
import t from 'tap'
import { ALICE, BOB, KEYS, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { resourceText } from './helpers.js'

const SESSION_SECRET = 'session-secret-that-must-stay-hidden-0123'
const METRICS_TOKEN = 'metrics-token-that-must-stay-hidden'
const WEATHER_KEY = 'weather-key-that-must-stay-hidden'
const sha256 = (text: string) => createHash('sha256').update(text).digest()

for (const transport of TRANSPORTS) {
  t.test(`config://app over ${transport}: non-secret configuration only`, async (t) => {
    const filesRoot = '/srv/private-files-root'
    const server = await startServer(t, {
      MCP_API_KEYS: `${KEYS},carol:sha256:${sha256('carol-secret-0123456789').toString('hex')}:tools=add`,
      MCP_SESSION_SECRET: SESSION_SECRET,
      MCP_METRICS_TOKEN: METRICS_TOKEN,
      MCP_WEATHER_URL: `http://127.0.0.1:9/forecast?apikey=${WEATHER_KEY}`,
      MCP_WEATHER_TIMEOUT_MS: '4321',
      MCP_FILES_ROOT: filesRoot,
    })
    const client = await connect(t, server.url, ALICE, transport)
    const read = await client.readResource({ uri: 'config://app' })
    t.equal(read.contents[0].mimeType, 'application/json')
    const text = resourceText(read)
    const config = JSON.parse(text)
    t.match(config, { weatherTimeoutMs: 4321, maxBodyBytes: 1_048_576, caller: { principal: 'alice', allowedTools: 'all' } })

    const secrets = [ALICE, BOB, SESSION_SECRET, METRICS_TOKEN, WEATHER_KEY, filesRoot, 'bob', 'carol']
    const digests = [ALICE, BOB, 'carol-secret-0123456789'].map(sha256).flatMap((digest) => [digest.toString('hex'), digest.toString('base64')])
    for (const secret of [...secrets, ...digests]) t.notOk(text.includes(secret), `does not contain ${secret.slice(0, 12)}…`)
    t.notMatch(text, /"type":\s*"Buffer"|"digest"/, 'no key material of any form')
  })

  t.test(`prompts over ${transport}: listed with argument schemas, built from validated arguments`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    const { prompts } = await client.listPrompts()
    const review = prompts.find((prompt) => prompt.name === 'review_code')!
    t.same(
      review.arguments?.map(({ name, required }) => ({ name, required })),
      [
        { name: 'code', required: true },
        { name: 'language', required: false },
        { name: 'focus', required: false },
      ],
    )
    const debug = prompts.find((prompt) => prompt.name === 'debug_error')!
    t.same(debug.arguments?.map(({ name, required }) => ({ name, required })), [
      { name: 'error', required: true },
      { name: 'context', required: false },
    ])

    const built = await client.getPrompt({ name: 'review_code', arguments: { code: 'let x = eval(input)', language: 'JavaScript', focus: 'security' } })
    t.equal(built.messages.length, 1)
    t.equal(built.messages[0].role, 'user')
    const text = built.messages[0].content.type === 'text' ? built.messages[0].content.text : ''
    t.match(text, /this JavaScript code/)
    t.match(text, /Concentrate on security/)
    t.match(text, /let x = eval\(input\)/)

    const debugged = await client.getPrompt({ name: 'debug_error', arguments: { error: 'TypeError: x is undefined' } })
    t.match(debugged.messages[0].content, { type: 'text', text: /TypeError: x is undefined/ })

    const typed = await client.getPrompt({ name: 'review_code', arguments: { code: 'x', focus: 'memory leaks' } })
    t.match(typed.messages[0].content, { type: 'text', text: /Concentrate on memory leaks/ }, 'a focus the person typed is taken as it is')
    await t.rejects(client.getPrompt({ name: 'review_code', arguments: { code: 'x', focus: 'f'.repeat(101) } }), /focus/, 'an over-long focus is refused')
    await t.rejects(client.getPrompt({ name: 'review_code', arguments: {} }), /code/, 'a missing required argument is refused')
  })

  t.test(`completions over ${transport}: review_code suggests languages and focuses as a person types`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    t.ok(client.getServerCapabilities()?.completions, 'the server declares completions')
    const complete = async (name: string, value: string) =>
      (await client.complete({ ref: { type: 'ref/prompt', name: 'review_code' }, argument: { name, value } })).completion.values
    t.same(await complete('focus', 'me'), ['memory leaks'])
    t.same(await complete('focus', 'SEC'), ['security'], 'ignoring case')
    t.same(await complete('language', 'ty'), ['TypeScript'])
    t.same(await complete('language', 'zz'), [], 'nothing for what no suggestion starts with')
    t.same(await complete('code', 'x'), [], 'no suggestions for free text')
  })
}
