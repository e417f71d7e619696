/**
 * What both SDK reference servers share, written once: the API-key check as express middleware (the same
 * keys and the same Bearer header as ours), JSON-RPC error answers, and where they listen.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { findKey, parseApiKeys, type ApiKey } from '../../app/keys.js'

export type Request = IncomingMessage & { body?: unknown; query: Record<string, string | undefined>; principal?: ApiKey }
export type Response = ServerResponse & { status(code: number): Response; json(body: unknown): void }

const keys = parseApiKeys(process.env.MCP_API_KEYS ?? '')
export const port = Number(process.env.PORT ?? 3000)

export const rpcError = (res: Response, status: number, code: number, message: string) =>
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null })

/** Answers 401 without a known key; otherwise names the key's principal on the request. */
export function keyCheck(req: Request, res: Response, next: () => void) {
  const authorization = req.headers.authorization
  const key = authorization?.startsWith('Bearer ') ? findKey(keys, authorization.slice(7).trim()) : undefined
  if (!key) return rpcError(res, 401, -32000, 'Unauthorized')
  req.principal = key
  next()
}
