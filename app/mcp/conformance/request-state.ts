import { randomBytes } from 'node:crypto'
import { createRequestStateCodec } from '@modelcontextprotocol/server'

/**
 * The MRTR fixtures' `requestState`, HMAC-sealed by the SDK's codec (the spec requires state that steers a
 * handler to be integrity-protected). Its `verify` is the catalog's `requestState` hook, so the SDK refuses
 * tampered state with -32602 before any handler runs. The key is this process's own: the suite drives one
 * server, and a round retried on another task would be refused (a real tool shares a key across tasks).
 */
export const requestStateCodec = createRequestStateCodec<Record<string, unknown>>({ key: randomBytes(32) })
