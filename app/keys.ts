import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Who a request acts for: an API key, or the subject of an OAuth access token (app/http/oauth.ts). */
export interface Principal {
  /** What logs, limits, session ownership and audit lines use: a key's name, or `oauth:<subject>`. Never a secret. */
  name: string
  /** The OAuth client the token was issued to; absent for keys. */
  clientId?: string
  /** The token's scopes; absent for keys. */
  scopes?: ReadonlySet<string>
  /** Tools this principal may list and call; undefined means every tool. */
  allowedTools?: ReadonlySet<string>
  /** Prompts this principal may list and get; undefined means every prompt. */
  allowedPrompts?: ReadonlySet<string>
  /** Resources (their URI, or URI template) this principal may list and read; undefined means every resource. */
  allowedResources?: ReadonlySet<string>
}

type AllowListField = 'allowedTools' | 'allowedPrompts' | 'allowedResources'
const ALLOW_LIST_FIELDS: AllowListField[] = ['allowedTools', 'allowedPrompts', 'allowedResources']

/**
 * A principal as the relay signs it for the task owning the session: a key by its name (every task has the
 * keys), any other principal (an access token's) whole, as JSON, since the owner cannot look it up.
 */
export function relayedPrincipal(principal: Principal): string {
  if (!principal.name.startsWith('oauth:')) return principal.name
  const lists = Object.fromEntries(ALLOW_LIST_FIELDS.filter((field) => principal[field]).map((field) => [field, [...principal[field]!]]))
  return JSON.stringify({ name: principal.name, clientId: principal.clientId, scopes: [...(principal.scopes ?? [])], ...lists })
}

/** The principal a verified relay header vouches for (see relayedPrincipal); undefined for a key this task lacks. */
export function principalFromRelay(text: string, keysByName: ReadonlyMap<string, ApiKey>): Principal | undefined {
  if (!text.startsWith('{')) return keysByName.get(text)
  const wire = JSON.parse(text) as { name: string; clientId?: string; scopes?: string[] } & Partial<Record<AllowListField, string[]>>
  const principal: Principal = { name: wire.name, clientId: wire.clientId, scopes: new Set(wire.scopes) }
  for (const field of ALLOW_LIST_FIELDS) if (wire[field]) principal[field] = new Set(wire[field])
  return principal
}

/** A configured API key. Only the digest of the secret is kept in memory. */
export interface ApiKey extends Principal {
  digest: Buffer
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/
const HEX_DIGEST = /^[0-9a-f]{64}$/i
const CATALOG_NAME = /^[A-Za-z0-9_-]{1,64}$/
/** A resource URI or RFC 6570 template as the catalog spells it; "|" separates them and "," ends the entry. */
const RESOURCE_URI = /^[^\s|,]{1,200}$/

/** The allow-lists a key entry may end with, each `:kind=a|b`; resource URIs hold ":" themselves. */
const ALLOW_LISTS = { tools: CATALOG_NAME, prompts: CATALOG_NAME, resources: RESOURCE_URI } as const
type AllowListKind = keyof typeof ALLOW_LISTS
const ALLOW_LIST_START = /:(tools|prompts|resources)=/g

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** Splits `name:secret:tools=a|b:resources=x://y` into the credential part and its allow-lists. */
export function splitAllowLists(entry: string, at: string): { credential: string; lists: Partial<Record<AllowListKind, Set<string>>> } {
  const starts = [...entry.matchAll(ALLOW_LIST_START)]
  const lists: Partial<Record<AllowListKind, Set<string>>> = {}
  starts.forEach((start, index) => {
    const kind = start[1] as AllowListKind
    const text = entry.slice(start.index + start[0].length, starts[index + 1]?.index ?? entry.length)
    const names = text.split('|').filter(Boolean)
    if (lists[kind]) throw new Error(`${at}: ${kind}= appears twice`)
    if (names.length === 0 || !names.every((name) => ALLOW_LISTS[kind].test(name))) throw new Error(`${at}: ${kind}= needs ${kind === 'resources' ? 'resource URIs' : `${kind.slice(0, -1)} names`} separated by "|"`)
    lists[kind] = new Set(names)
  })
  return { credential: starts.length > 0 ? entry.slice(0, starts[0].index) : entry, lists }
}

function parseEntry(entry: string, position: number): ApiKey {
  const [name, ...rest] = entry.split(':')
  const at = `entry ${position}`
  // Named by position only: an entry without ":" may well be a bare secret.
  if (rest.length === 0) throw new Error(`${at}: expected name:secret or name:sha256:<hex> (no ":" found)`)
  if (!NAME.test(name)) throw new Error(`${at}: key name must match ${NAME.source}`)
  const { credential, lists } = splitAllowLists(entry, `${at} (${name})`)
  const secret = credential.split(':').slice(1)
  let digest: Buffer
  if (secret.length === 2 && secret[0] === 'sha256') {
    if (!HEX_DIGEST.test(secret[1])) throw new Error(`${at} (${name}): sha256 form needs 64 hex digits`)
    digest = Buffer.from(secret[1], 'hex')
  } else if (secret.length === 1) {
    if (secret[0].length < 16) throw new Error(`${at} (${name}): secret must be at least 16 characters`)
    digest = sha256(secret[0])
  } else {
    throw new Error(`${at} (${name}): expected name:secret, name:sha256:<hex> and optionally :tools=a|b, :prompts=a|b, :resources=uri|uri`)
  }
  return { name, digest, allowedTools: lists.tools, allowedPrompts: lists.prompts, allowedResources: lists.resources }
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

/** What the catalog offers, by the names allow-lists use: tool and prompt names, resource URIs and templates. */
export interface CatalogNames {
  tools: readonly string[]
  prompts: readonly string[]
  resources: readonly string[]
}

/**
 * One problem per allow-list that names something the catalog does not have: such a key would otherwise
 * silently get less than meant. The names come from the caller, so keys (and sessions) never import the catalog.
 */
export function unknownAllowances(keys: readonly Principal[], catalog: CatalogNames, holder = 'key'): string[] {
  const lists = [
    { kind: 'tools', what: 'a tool', of: (key: Principal) => key.allowedTools, known: catalog.tools },
    { kind: 'prompts', what: 'a prompt', of: (key: Principal) => key.allowedPrompts, known: catalog.prompts },
    { kind: 'resources', what: 'a resource', of: (key: Principal) => key.allowedResources, known: catalog.resources },
  ]
  return keys.flatMap((key) =>
    lists.flatMap(({ kind, what, of, known }) => {
      const unknown = [...(of(key) ?? [])].filter((name) => !known.includes(name))
      if (unknown.length === 0) return []
      return [`${holder} "${key.name}": ${kind}= names ${unknown.map((name) => `"${name}"`).join(', ')}, not ${what} of this server (${kind}: ${known.join(', ')})`]
    }),
  )
}

/** The key of principal `dev` for local development: MCP_DEV_KEY's secret, else a fresh random one, printed once at start-up. */
export function generateDevelopmentKey(secret = `dev_${randomBytes(24).toString('base64url')}`): { key: ApiKey; secret: string } {
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
