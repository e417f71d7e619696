import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const VERSION = 'v1'
const MAC_BYTES = 16

/**
 * Session ids that say which task owns them and cannot be forged: `v1.<owner>.<nonce>.<mac>`.
 * The owner is the task's peer address (base64url); the MAC is an HMAC over owner and nonce with the
 * secret every task shares. A task that does not own an id can check it without any network call, so a
 * forged id can never make it talk to an address of the attacker's choosing.
 */
export class SessionIds {
  private readonly encodedOwner: string

  constructor(
    private readonly secret: string,
    readonly owner: string,
  ) {
    this.encodedOwner = Buffer.from(owner).toString('base64url')
  }

  create(): string {
    const nonce = randomBytes(18).toString('base64url')
    return `${VERSION}.${this.encodedOwner}.${nonce}.${this.mac(this.encodedOwner, nonce)}`
  }

  /** The owner's peer address when the id is genuine, otherwise undefined. */
  verify(id: string): string | undefined {
    const parts = id.split('.')
    if (parts.length !== 4 || parts[0] !== VERSION) return undefined
    const [, encodedOwner, nonce, mac] = parts
    const expected = Buffer.from(this.mac(encodedOwner, nonce))
    const given = Buffer.from(mac)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    return Buffer.from(encodedOwner, 'base64url').toString()
  }

  private mac(encodedOwner: string, nonce: string): string {
    return createHmac('sha256', this.secret)
      .update(`${VERSION}.${encodedOwner}.${nonce}`)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url')
  }
}
