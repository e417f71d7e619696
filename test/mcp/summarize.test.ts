import t from 'tap'
import { ProtocolError, ProtocolErrorCode, type CreateMessageRequest } from '@modelcontextprotocol/client'
import { ALICE, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { resultText } from './helpers.js'

/** The text of a sampling request's single message. */
function promptText(params: CreateMessageRequest['params']): string {
  const content = params.messages[0].content
  if (Array.isArray(content) || content.type !== 'text') throw new Error('expected one text message')
  return content.text
}

const TEXT = 'The quick brown fox jumps over the lazy dog. It does so every morning, to the dog\'s mild annoyance.'

for (const transport of TRANSPORTS) {
  t.test(`summarize over ${transport}: the client's sampling answer is used`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport, { capabilities: { sampling: {} } })
    const asked: CreateMessageRequest['params'][] = []
    client.setRequestHandler('sampling/createMessage', async (request) => {
      asked.push(request.params)
      const words = promptText(request.params).split(/\s+/).length
      return { model: 'stub-model', role: 'assistant', content: { type: 'text', text: `a summary of a ${words}-word prompt` } }
    })
    const result = await client.callTool({ name: 'summarize', arguments: { text: TEXT, maxWords: 10 } })
    t.notOk(result.isError)
    t.equal(asked.length, 1, 'one sampling request reached the client')
    const prompt = promptText(asked[0])
    t.ok(prompt.includes(TEXT) && prompt.includes('at most 10 words'), 'the request carries the text')
    const words = prompt.split(/\s+/).length
    t.equal(resultText(result), `a summary of a ${words}-word prompt`, 'the tool answers with what the client returned')
    const rounds = server.logs.records().filter((record) => record.event === 'tool_call')
    t.match(rounds, [{ round: 1, outcome: 'input_required' }, { round: 2, outcome: 'ok' }], 'an audit line per round')
  })

  t.test(`summarize over ${transport}: a client that declines gets a clean error`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport, { capabilities: { sampling: {} } })
    client.setRequestHandler('sampling/createMessage', async () => {
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, 'the user declined')
    })
    const result = await client.callTool({ name: 'summarize', arguments: { text: TEXT } })
    t.equal(result.isError, true)
    // The SDK's shim asks the client and reports its refusal itself (server dist mcp-oHn3ureC.mjs, legacyShimFailure).
    t.match(resultText(result), /^Fulfilling input required by 'tools\/call' failed: .*the user declined/)
    const rounds = server.logs.records().filter((record) => record.event === 'tool_call')
    t.match(rounds, [{ tool: 'summarize', round: 1, outcome: 'input_required' }], 'one audit line: the round that asked')
  })

  t.test(`summarize over ${transport}: a client without sampling gets a clean error`, async (t) => {
    const server = await startServer(t)
    const client = await connect(t, server.url, ALICE, transport)
    const result = await client.callTool({ name: 'summarize', arguments: { text: TEXT } })
    t.equal(result.isError, true)
    t.match(resultText(result), /needs a client that supports sampling/)
    t.same(await client.ping(), {}, 'the session keeps working')
  })
}
