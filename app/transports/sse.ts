import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { invalidRequest } from '../http/errors.js'
import { hijack } from '../sessions/hijack.js'
import { holdOf } from '../http/input-bounds.js'
import { parseMessage, requireJson } from './json-rpc.js'
import { relayOrNotFound } from './relay-or-not-found.js'
import { SseServerTransport } from './sse-transport.js'

const MessagesQuery = z.object({ sessionId: z.string().min(1).max(512) })

/** Legacy HTTP+SSE (2024-11-05): `GET /sse` opens the stream, `POST /messages?sessionId=` feeds it. */
export default async function sseRoutes(app: FastifyInstance, { basePath }: { basePath: string }) {
  const endpoint = `${basePath}/messages`

  app.get('/sse', async (request, reply) => {
    app.sessions.admit(request.principal)
    const id = app.sessionIds.create()
    const stream = app.sessions.bound(request.principal, hijack(reply), request.log)
    const transport = new SseServerTransport(id, stream, endpoint)
    const session = await app.sessions.open({ id, kind: 'sse', principal: request.principal, transport })
    app.sessions.track(session, stream)
  })
}

/** `POST /messages?sessionId=`: requests on an existing session, the only legacy route the peer port serves. */
export async function sseSessionRoutes(app: FastifyInstance) {
  app.post('/messages', { onRequest: requireJson }, async (request, reply) => {
    const query = MessagesQuery.safeParse(request.query)
    if (!query.success) throw invalidRequest('Bad Request: sessionId query parameter is required')
    const message = parseMessage(request.body)
    const session = app.sessions.find(query.data.sessionId, request.principal, 'sse', request.log)
    if (!session) return relayOrNotFound(app, request, reply, query.data.sessionId)
    app.sessions.touch(session)
    app.sessions.admitRequests(session, [message], holdOf(request))
    app.metrics.messages.inc({ transport: 'sse' })
    session.transport.receive(message)
    return reply.code(202).send()
  })
}
