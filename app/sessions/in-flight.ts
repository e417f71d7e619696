import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server'
import { isRequest } from './message-kinds.js'

/**
 * The requests of one session that are admitted and not yet settled (answered, cancelled, or their answer
 * stream closed, depending on the transport). Ids are counted, not just remembered, so a client reusing an
 * id cannot slip past the bound.
 */
export class InFlight {
  private readonly pending = new Map<RequestId, number>()
  private count = 0

  constructor(readonly max: number) {}

  get size(): number {
    return this.count
  }

  /** The request ids among the messages when all fit under the bound; undefined when they do not (none is admitted). */
  admit(messages: JSONRPCMessage[]): RequestId[] | undefined {
    const ids = messages.filter(isRequest).map((message) => message.id)
    if (this.count + ids.length > this.max) return undefined
    for (const id of ids) this.pending.set(id, (this.pending.get(id) ?? 0) + 1)
    this.count += ids.length
    return ids
  }

  settle(id: RequestId): void {
    const held = this.pending.get(id)
    if (held === undefined) return
    if (held > 1) this.pending.set(id, held - 1)
    else this.pending.delete(id)
    this.count--
  }
}
