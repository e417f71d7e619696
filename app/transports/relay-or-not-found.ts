import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { sessionNotFound } from '../http/errors.js'

/**
 * A request for a session this task does not hold. A genuine id names its owner: another task gets the
 * request relayed; this task (the session ended) or a forged id gets 404 — without any network call.
 */
export async function relayOrNotFound(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, sessionId: string) {
  const owner = app.sessionIds.verify(sessionId)
  if (owner === undefined || owner === app.sessionIds.owner || !app.relay) throw sessionNotFound()
  await app.relay.forward(request, reply, sessionId, owner)
}
