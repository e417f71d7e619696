import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A configured API key. Only the digest of the secret is kept in memory. */
export interface ApiKey {
  /** The principal: what logs, limits, metrics and session ownership use. Never the secret. */
  name: string
  digest: Buffer
  /** Tools this key may list and call; undefined means every tool. */
  allowedTools?: ReadonlySet<string>
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/
const HEX_DIGEST = /^[0-9a-f]{64}$/i
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

function parseEntry(entry: string, position: number): ApiKey {
  const [name, ...rest] = entry.split(':')
  const at = `entry ${position}`
  // Named by position only: an entry without ":" may well be a bare secret.
  if (rest.length === 0) throw new Error(`${at}: expected name:secret or name:sha256:<hex> (no ":" found)`)
  if (!NAME.test(name)) throw new Error(`${at}: key name must match ${NAME.source}`)
  let allowedTools: Set<string> | undefined
  const last = rest[rest.length - 1]
  if (last.startsWith('tools=')) {
    rest.pop()
    const tools = last.slice('tools='.length).split('|').filter(Boolean)
    if (tools.length === 0 || !tools.every((tool) => TOOL_NAME.test(tool))) {
      throw new Error(`${at} (${name}): tools= needs tool names separated by "|"`)
    }
    allowedTools = new Set(tools)
  }
  let digest: Buffer
  if (rest.length === 2 && rest[0] === 'sha256') {
    if (!HEX_DIGEST.test(rest[1])) throw new Error(`${at} (${name}): sha256 form needs 64 hex digits`)
    digest = Buffer.from(rest[1], 'hex')
  } else if (rest.length === 1) {
    if (rest[0].length < 16) throw new Error(`${at} (${name}): secret must be at least 16 characters`)
    digest = sha256(rest[0])
  } else {
    throw new Error(`${at} (${name}): expected name:secret, name:sha256:<hex> and optionally :tools=a|b`)
  }
  return { name, digest, allowedTools }
}

/** Parses `name:secret` / `name:sha256:<hex>` entries separated by commas or new lines. */
export function parseApiKeys(text: string): ApiKey[] {
  const entries = text.split(/[,\n]/).map((entry) => entry.trim()).filter((entry) => entry && !entry.startsWith('#'))
  const keys = entries.map((entry, index) => parseEntry(entry, index + 1))
  const seen = new Set<string>()
  for (const key of keys) {
    if (seen.has(key.name)) throw new Error(`key name "${key.name}" appears twice`)
    seen.add(key.name)
  }
  return keys
}

/**
 * One problem per key whose `tools=` names a tool the catalog does not have: such a key would otherwise
 * silently get no tool at all. The names come from the caller, so keys (and sessions) never import the catalog.
 */
export function unknownTools(keys: readonly ApiKey[], toolNames: readonly string[]): string[] {
  const known = new Set(toolNames)
  return keys.flatMap((key) => {
    const unknown = [...(key.allowedTools ?? [])].filter((tool) => !known.has(tool))
    if (unknown.length === 0) return []
    return [`key "${key.name}": tools= names ${unknown.map((tool) => `"${tool}"`).join(', ')}, not a tool of this server (tools: ${toolNames.join(', ')})`]
  })
}

/** A fresh random key for local development, printed once at start-up. */
export function generateDevelopmentKey(): { key: ApiKey; secret: string } {
  const secret = `dev_${randomBytes(24).toString('base64url')}`
  return { key: { name: 'dev', digest: sha256(secret) }, secret }
}

/**
 * Finds the key a presented secret belongs to. Every configured key is compared, in constant time, so
 * neither timing nor position tells an attacker which key came close.
 */
export function findKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const digest = sha256(presented)
  let match: ApiKey | undefined
  for (const key of keys) {
    if (timingSafeEqual(key.digest, digest) && match === undefined) match = key
  }
  return match
}
