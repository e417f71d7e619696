import t from 'tap'
import pino from 'pino'
import { exampleCatalog } from '../../app/mcp/catalog.js'
import type { Services } from '../../app/mcp/context.js'
import { IDLE_REQUEST_SERVERS, RequestServers } from '../../app/mcp/server.js'
import type { Principal } from '../../app/keys.js'

const log = pino({ level: 'silent' })
// Taking and giving back servers runs no handler: nothing of the services is used.
const services = {} as Services
const alice: Principal = { name: 'alice' }
const bob: Principal = { name: 'bob' }
const carol: Principal = { name: 'carol', allowedTools: new Set(['add', 'whoami']) }

t.test('a server given back serves the next request of a key with the same allow-lists', async (t) => {
  const servers = new RequestServers(exampleCatalog, services)
  const first = servers.take(alice, log)
  servers.giveBack(first)
  t.equal(servers.idleCount, 1)
  t.not(servers.take(carol, log), first, 'not a key with other allow-lists: its catalog differs')
  t.equal(servers.take(bob, log), first, 'a key with the same allow-lists')
  t.equal(servers.idleCount, 0)
  t.not(servers.take(alice, log), first, 'one request at a time: a server taken is no longer idle')
})

t.test('at most IDLE_REQUEST_SERVERS wait per combination of allow-lists; the rest are dropped', async (t) => {
  const servers = new RequestServers(exampleCatalog, services)
  const taken = Array.from({ length: IDLE_REQUEST_SERVERS + 10 }, () => servers.take(alice, log))
  taken.forEach((server) => servers.giveBack(server))
  t.equal(servers.idleCount, IDLE_REQUEST_SERVERS)
  servers.giveBack(servers.take(carol, log))
  t.equal(servers.idleCount, IDLE_REQUEST_SERVERS + 1, 'another combination waits apart')
})
