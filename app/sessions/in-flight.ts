import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server'
import { invalidRequest } from '../http/errors.js'
import type { InputHold } from '../http/input-load.js'
import { isRequest } from '../protocol.js'

/**
 * The requests of one session that are admitted and not yet settled (answered, cancelled, or their answer
 * stream closed, depending on the transport), each with the input hold of the body that carried it: the
 * body's bytes count against its key until the last of its requests is settled.
 */
export class InFlight {
  private readonly pending = new Map<RequestId, InputHold>()

  constructor(readonly max: number) {}

  get size(): number {
    return this.pending.size
  }

  /**
   * The request ids among the messages when all fit under the bound; undefined when they do not (none is
   * admitted). An id used twice in the body, or already in flight on the session, is refused (400): the
   * spec has a requester never reuse an id within a session, and two requests under one id would share one
   * answer slot and one count.
   */
  admit(messages: JSONRPCMessage[], hold: InputHold): RequestId[] | undefined {
    const ids = messages.filter(isRequest).map((message) => message.id)
    if (this.pending.size + ids.length > this.max) return undefined
    const reused = ids.find((id, index) => this.pending.has(id) || ids.indexOf(id) !== index)
    if (reused !== undefined) throw invalidRequest(`Invalid Request: request id ${JSON.stringify(reused)} is already in use on this session`)
    hold.addRequests(ids.length)
    for (const id of ids) this.pending.set(id, hold)
    return ids
  }

  settle(id: RequestId): void {
    const hold = this.pending.get(id)
    if (hold === undefined) return
    this.pending.delete(id)
    hold.settleRequest()
  }

  /** The session is gone: nothing it held is in flight any more. */
  clear(): void {
    for (const id of [...this.pending.keys()]) this.settle(id)
  }
}
