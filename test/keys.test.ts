import { createHash } from 'node:crypto'
import t from 'tap'
import { findKey, generateDevelopmentKey, parseApiKeys, unknownAllowances } from '../app/keys.js'
import { ALICE, BOB, connect, resultJson, startServer } from './helpers/server.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

t.test('name:secret and name:sha256:<hex> entries, by commas or lines, each finds its own principal', async (t) => {
  const keys = parseApiKeys(`alice:${ALICE}, bob:sha256:${sha256(BOB)}\n# a comment\ncarol:sha256:${sha256('carol-secret-0123456789').toUpperCase()}`)
  t.same(keys.map((key) => key.name), ['alice', 'bob', 'carol'])
  t.equal(findKey(keys, ALICE)?.name, 'alice')
  t.equal(findKey(keys, BOB)?.name, 'bob', 'the hashed form matches its secret')
  t.equal(findKey(keys, 'carol-secret-0123456789')?.name, 'carol', 'hex digits in either case')
  t.equal(findKey(keys, sha256(BOB)), undefined, 'the digest itself is no key')
  t.equal(findKey(keys, `${ALICE}x`), undefined)
  t.equal(findKey(keys, ''), undefined)
  t.equal(findKey([], ALICE), undefined)
})

t.test('a tools= suffix holds the allow-list, for both forms', async (t) => {
  const [alice, bob] = parseApiKeys(`alice:${ALICE}:tools=whoami|add, bob:sha256:${sha256(BOB)}:tools=add`)
  t.same([...(alice.allowedTools ?? [])], ['whoami', 'add'])
  t.same([...(bob.allowedTools ?? [])], ['add'])
  t.equal(findKey([bob], BOB)?.name, 'bob')
  t.equal(parseApiKeys(`alice:${ALICE}`)[0].allowedTools, undefined, 'no suffix: every tool')
})

t.test('bad entries are refused with a reason that never repeats the secret', async (t) => {
  const secret = 'a-secret-that-is-long-enough'
  const bad: [string, RegExp][] = [
    ['alice:short-secret', /entry 1 \(alice\): secret must be at least 16 characters/],
    [`al ice:${secret}`, /entry 1: key name must match/],
    [`alice:${secret},alice:${secret}x`, /"alice" appears twice/],
    [`alice:sha256:${'z'.repeat(64)}`, /sha256 form needs 64 hex digits/],
    [`alice:${secret}:tools=`, /tools= needs tool names/],
    [`alice:${secret}:tools=bad tool`, /tools= needs tool names/],
    [`alice:${secret}:prompts=`, /prompts= needs prompt names/],
    [`alice:${secret}:resources=a b`, /resources= needs resource URIs/],
    [`alice:${secret}:tools=add:tools=whoami`, /tools= appears twice/],
    ['alice', /expected name:secret/],
    [`alice:${secret}:extra`, /expected name:secret/],
  ]
  for (const [text, reason] of bad) {
    let message = ''
    t.throws(() => {
      try {
        parseApiKeys(text)
      } catch (error) {
        message = (error as Error).message
        throw error
      }
    }, text.replace(secret, '<secret>'))
    t.match(message, reason)
    t.notOk(message.includes(secret) || message.includes('short-secret'), 'the secret is not in the message')
  }
})

t.test('an entry without ":" is one line naming its position, never its text (it may be a bare secret)', async (t) => {
  const bareSecret = 'a-bare-secret-pasted-without-a-name'
  let message = ''
  t.throws(() => {
    try {
      parseApiKeys(`alice:${ALICE},${bareSecret}`)
    } catch (error) {
      message = (error as Error).message
      throw error
    }
  })
  t.equal(message, 'entry 2: expected name:secret or name:sha256:<hex> (no ":" found)')
  t.notOk(message.includes('\n'), 'one line')
})

t.test('unknownAllowances names each key whose allow-list names something the catalog lacks', async (t) => {
  const keys = parseApiKeys(`alice:${ALICE}:tools=whoami|wheather, bob:${BOB}:tools=add:prompts=review:resources=config://app|users://{id}, carol:${ALICE}x`)
  const catalog = { tools: ['add', 'whoami'], prompts: ['review_code'], resources: ['config://app'] }
  t.same(unknownAllowances(keys, catalog), [
    'key "alice": tools= names "wheather", not a tool of this server (tools: add, whoami)',
    'key "bob": prompts= names "review", not a prompt of this server (prompts: review_code)',
    'key "bob": resources= names "users://{id}", not a resource of this server (resources: config://app)',
  ])
  const complete = { tools: ['add', 'whoami', 'wheather'], prompts: ['review'], resources: ['config://app', 'users://{id}'] }
  t.same(unknownAllowances(keys, complete), [], 'nothing to say when every name exists')
})

t.test('prompts= and resources= allow-lists beside tools=, in any order, resource URIs with their ":"', async (t) => {
  const [alice] = parseApiKeys(`alice:${ALICE}:resources=config://app|users://{user_id}/profile:prompts=review_code:tools=add`)
  t.same([...(alice.allowedTools ?? [])], ['add'])
  t.same([...(alice.allowedPrompts ?? [])], ['review_code'])
  t.same([...(alice.allowedResources ?? [])], ['config://app', 'users://{user_id}/profile'])
  t.equal(findKey([alice], ALICE)?.name, 'alice', 'the secret is what comes before the allow-lists')
  const [bob] = parseApiKeys(`bob:sha256:${sha256(BOB)}:prompts=debug_error`)
  t.same([...(bob.allowedPrompts ?? [])], ['debug_error'])
  t.equal(bob.allowedTools, undefined, 'no tools=: every tool')
  t.equal(findKey([bob], BOB)?.name, 'bob')
})

t.test('a development key is random, named dev, and found by its secret', async (t) => {
  const first = generateDevelopmentKey()
  const second = generateDevelopmentKey()
  t.equal(first.key.name, 'dev')
  t.not(first.secret, second.secret)
  t.ok(first.secret.length >= 32)
  t.equal(findKey([first.key], first.secret), first.key)
  t.equal(findKey([first.key], second.secret), undefined)
})

t.test('a key with a tool allow-list neither lists nor calls tools outside it', async (t) => {
  const carol = 'carol-secret-0123456789'
  const server = await startServer(t, { MCP_API_KEYS: `alice:${ALICE},carol:${carol}:tools=add` })
  const limited = await connect(t, server.url, carol, 'streamable-http')
  // With no permitted tool in the catalog the SDK offers no tools/list at all (-32601); either way, no whoami.
  const listed = await limited.listTools().then(({ tools }) => tools.map((tool) => tool.name), (): string[] => [])
  t.notOk(listed.includes('whoami'), 'whoami is not listed')
  const refused = await limited.callTool({ name: 'whoami', arguments: {} }).catch((error: Error) => ({ isError: true, content: [{ type: 'text', text: error.message }] }))
  t.equal(refused.isError, true, 'whoami cannot be called')
  t.notMatch(JSON.stringify(refused), /"principal":"carol"/, 'and did not run')
  const full = await connect(t, server.url, ALICE, 'streamable-http')
  t.equal(resultJson(await full.callTool({ name: 'whoami', arguments: {} })).principal, 'alice', 'a key without a list has every tool')
})
