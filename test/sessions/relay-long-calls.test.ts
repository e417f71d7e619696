import { mkdtempSync, writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { Client } from '@modelcontextprotocol/client'
import { ensureBuilt } from '../helpers/build.js'
import { JSON_HEADERS, initializeRaw, openSse, request } from '../helpers/http.js'
import { counter, eventually, haproxyCommand, startHaproxy, startTask, type Task } from '../helpers/processes.js'
import { ALICE, TRANSPORTS, connect } from '../helpers/server.js'

ensureBuilt()

/*
 * Calls longer than every timeout the relay has, through a task that does not own their session, behind HAProxy
 * without cookies. Two clusters of two tasks: one with the production settings (heartbeat 15 s, so the relay's
 * silence bound is 45 s and its connect timeout 5 s), and one with a 1 s heartbeat, where a 10 s call also
 * outlasts the silence bound (3 s) many times over.
 */
const MiB = 1024 * 1024
/** Longer than the 5 s connect timeout, shorter than the production heartbeat (15 s) that follows a sweep. */
const SILENT_CALL_MS = 10_500
/** The answer a slow reader leaves unread: far more than the sockets and buffers between it and the owner hold. */
const BIG_ANSWER_BYTES = 12 * MiB
const SHORT_HEARTBEAT_MS = 1_000
/** The relay's silence bound with the short heartbeat is 3 heartbeats: the slow reader pauses longer. */
const READER_PAUSE_MS = 5 * SHORT_HEARTBEAT_MS
const IN_FLIGHT_PER_SESSION = 16

function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-long-calls-'))
  writeFileSync(join(dir, 'big.txt'), 'a'.repeat(BIG_ANSWER_BYTES))
  return dir
}

interface Cluster {
  /** tasks[1] owns the sessions opened through `open`; tasks[0] relays every later request to it. */
  tasks: Task[]
  alb: Awaited<ReturnType<typeof startHaproxy>>
}

async function cluster(env: Record<string, string> = {}): Promise<Cluster> {
  const tasks = await Promise.all([startTask(t, env), startTask(t, env)])
  return { tasks, alb: await startHaproxy(t, tasks) }
}

/**
 * Opens sessions through the balancer while only tasks[1] takes new requests, then lets requests reach only
 * tasks[0]: what round robin does to a cookie-less client's requests, made certain for every call.
 */
async function ownedByOneRelayedByOther<T>({ alb }: Cluster, open: () => Promise<T>): Promise<T> {
  await haproxyCommand(alb.socket, 'set server tasks/t0 state drain')
  const opened = await open()
  await haproxyCommand(alb.socket, 'set server tasks/t0 state ready')
  await haproxyCommand(alb.socket, 'set server tasks/t1 state drain')
  return opened
}

const longTask = (stepMs: number, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'long_task', arguments: { steps: 1, stepMs } } })
const toolCalls = (task: Task, outcome: string) => counter(task, 'mcp_tool_calls_total', `outcome="${outcome}"`)
const relayed = (task: Task, outcome: string) => counter(task, 'mcp_relayed_requests_total', `outcome="${outcome}"`)

/** The SDK client's long silent call on every transport at once; resolves to the texts of the results. */
async function silentCalls(clients: Client[], stepMs: number): Promise<string[]> {
  const results = await Promise.all(clients.map((client) => client.callTool({ name: 'long_task', arguments: { steps: 1, stepMs } })))
  return results.map((result) => (result.content as { text: string }[])[0].text)
}

const [production, shortHeartbeat] = await Promise.all([
  cluster(),
  cluster({ MCP_HEARTBEAT_MS: String(SHORT_HEARTBEAT_MS), MCP_FILES_ROOT: sandbox(), MCP_FILES_MAX_BYTES: String(BIG_ANSWER_BYTES) }),
])

t.test('production timeouts: silent 10.5 s calls through the non-owner on both transports; a client that leaves before headers cancels the call', async (t) => {
  const [relayer, owner] = production.tasks
  const { clients, leaving } = await ownedByOneRelayedByOther(production, async () => ({
    clients: await Promise.all(TRANSPORTS.map((transport) => connect(t, production.alb.url, ALICE, transport))),
    leaving: await initializeRaw({ url: production.alb.url }),
  }))
  const before = { ok: await toolCalls(owner, 'ok'), cancelled: await toolCalls(owner, 'cancelled'), relayed: await relayed(relayer, 'relayed') }

  // Just after a heartbeat sweep the next is 15 s away: the owner writes no header for the whole call, which
  // the relay used to take for an owner that does not answer (404 after 5 s, the call cancelled).
  const { stream } = await openSse(t, owner)
  await stream.waitFor(/: ping/, 20_000)
  const calls = silentCalls(clients, SILENT_CALL_MS)

  // A client that leaves while the relay still waits for the owner's headers: the owner cancels the call
  // at once, well within the 5 s after which the relay used to give up on its own.
  const messages = await counter(owner, 'mcp_messages_total', 'streamable-http')
  const controller = new AbortController()
  const left = fetch(`${relayer.url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, ...leaving.headers }, body: JSON.stringify(longTask(60_000)), signal: controller.signal }).catch((error: Error) => error.name)
  t.ok(await eventually(async () => (await counter(owner, 'mcp_messages_total', 'streamable-http')) > messages), 'the call reached the owner')
  controller.abort()
  t.equal(await left, 'AbortError', 'the client left before any header came')
  t.ok(await eventually(async () => (await toolCalls(owner, 'cancelled')) === before.cancelled + 1, 2_000), 'the owner cancelled the call within 2 s')
  t.ok(await eventually(async () => (await relayed(relayer, 'client_left')) === 1), 'the relay counted the client as gone')
  t.equal(await relayed(relayer, 'owner_unreachable'), 0, 'and not the owner as unreachable')
  // Nothing stays in flight on the session: it takes its whole in-flight bound of calls at once again.
  const statuses = await Promise.all(
    Array.from({ length: IN_FLIGHT_PER_SESSION }, (_, id) =>
      request(`${production.alb.url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, ...leaving.headers }, body: JSON.stringify(longTask(1_000, id)) }).then(async (response) => {
        await response.text()
        return response.status
      }),
    ),
  )
  t.same(statuses, statuses.map(() => 200), `${IN_FLIGHT_PER_SESSION} calls at once on the session, all answered`)

  const started = Date.now()
  t.same(await calls, TRANSPORTS.map(() => 'Finished all 1 steps'), `both transports answered, ${Date.now() - started} ms after the leaving client's test`)
  t.equal(await toolCalls(owner, 'ok'), before.ok + 2 + IN_FLIGHT_PER_SESSION, 'the owner ran every call to the end')
  t.ok((await relayed(relayer, 'relayed')) >= before.relayed + 2 + IN_FLIGHT_PER_SESSION, 'every call was relayed by the other task')
  t.equal(await relayed(relayer, 'owner_unreachable'), 0, 'none was taken for an unreachable owner')
})

t.test('1 s heartbeat: 10 s calls through the non-owner outlast the silence bound (3 s) on both transports', async (t) => {
  const [relayer, owner] = shortHeartbeat.tasks
  const clients = await ownedByOneRelayedByOther(shortHeartbeat, () => Promise.all(TRANSPORTS.map((transport) => connect(t, shortHeartbeat.alb.url, ALICE, transport))))
  const before = await relayed(relayer, 'relayed')
  t.same(await silentCalls(clients, 10 * SHORT_HEARTBEAT_MS), TRANSPORTS.map(() => 'Finished all 1 steps'), 'both transports answered')
  t.ok((await relayed(relayer, 'relayed')) >= before + 2, 'through the other task')
  t.equal(await relayed(relayer, 'owner_silent'), 0, 'no owner was taken for silent')
  t.equal(await toolCalls(owner, 'cancelled'), 0, 'nothing was cancelled on the owner')
})

/** POSTs through the relayer and hands back the response as soon as its headers arrive, unread. */
function post(url: string, headers: Record<string, string>, body: unknown): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(`${url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, timeout: 30_000 }, resolve)
    sent.once('timeout', () => sent.destroy(new Error('no answer within 30 s')))
    sent.once('error', reject)
    sent.end(JSON.stringify(body))
  })
}

t.test('a relayed answer whose reader pauses past the silence bound is held, as the owner holds it, and arrives whole', async (t) => {
  const [relayer, owner] = shortHeartbeat.tasks
  const { headers } = await initializeRaw(owner)
  const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'read_file', arguments: { path: 'big.txt' } } }
  const response = await post(relayer.url, headers, call)
  t.equal(response.statusCode, 200, 'the answer is relayed')
  response.pause()
  // Long enough for the pipes between the owner and this reader to fill and the relay to stop reading.
  await sleep(READER_PAUSE_MS)
  const chunks: Buffer[] = []
  response.on('data', (chunk: Buffer) => chunks.push(chunk))
  const ended = await new Promise<string>((resolve) => {
    response.once('end', () => resolve('end'))
    response.once('error', (error) => resolve(error.message))
    response.resume()
  })
  t.equal(ended, 'end', 'the answer ended normally')
  const body = Buffer.concat(chunks).toString()
  const text = /"text":"(a+)"/.exec(body)?.[1]
  t.equal(text?.length, BIG_ANSWER_BYTES, `the whole ${BIG_ANSWER_BYTES / MiB} MiB file arrived`)
  t.equal(await relayed(relayer, 'owner_silent'), 0, 'the relay did not take the paused reader for a silent owner')
  t.equal(await counter(owner, 'mcp_tool_calls_total', 'tool="read_file",outcome="ok"'), 1, 'the owner answered it once')
})
