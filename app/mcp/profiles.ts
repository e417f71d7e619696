import type { SharedRedis } from '../redis.js'
import { z } from 'zod'

/** A user profile as `create_user_profile` stores it; `id` is unique within its principal. */
export interface UserProfile {
  id: string
  name: string
  email: string
  age: number
  createdAt: string
}

/**
 * Where user profiles live, kept apart per principal (API key name): one principal never sees another's.
 * The default is in memory on one task; a shared store (Redis) implements the same interface.
 */
export interface ProfileStore {
  /** Stores a new profile; throws ProfilesFull when the principal already holds its maximum. */
  save(principal: string, profile: UserProfile): Promise<void>
  get(principal: string, id: string): Promise<UserProfile | undefined>
  list(principal: string): Promise<UserProfile[]>
}

/** The principal holds as many profiles as MCP_MAX_PROFILES_PER_KEY allows; its message is safe to show a client. */
export class ProfilesFull extends Error {
  constructor(max: number) {
    super(`This key already holds the maximum of ${max} profiles; no more can be stored`)
  }
}

/** The embedded default: profiles live as long as the process. */
export class MemoryProfileStore implements ProfileStore {
  private readonly byPrincipal = new Map<string, Map<string, UserProfile>>()

  constructor(private readonly maxPerPrincipal: number) {}

  async save(principal: string, profile: UserProfile): Promise<void> {
    let profiles = this.byPrincipal.get(principal)
    if (!profiles) this.byPrincipal.set(principal, (profiles = new Map()))
    if (!profiles.has(profile.id) && profiles.size >= this.maxPerPrincipal) throw new ProfilesFull(this.maxPerPrincipal)
    profiles.set(profile.id, profile)
  }

  async get(principal: string, id: string): Promise<UserProfile | undefined> {
    return this.byPrincipal.get(principal)?.get(id)
  }

  async list(principal: string): Promise<UserProfile[]> {
    return [...(this.byPrincipal.get(principal)?.values() ?? [])]
  }
}

const StoredProfile = z.object({ id: z.string(), name: z.string(), email: z.string(), age: z.number(), createdAt: z.string() })

/** Shared state was needed and could not be reached; its message is safe to show a client. */
export class SharedStateUnavailable extends Error {
  constructor() {
    super('Shared state (Redis) is unreachable right now; try again shortly')
  }
}

/** Stores field ARGV[1] = ARGV[2] in hash KEYS[1] unless that would take it past ARGV[3] fields: one atomic step. */
const SAVE_BOUNDED = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`

/** Profiles in Redis, one hash per principal, so every task sees the same profiles and they outlive a task. */
export class RedisProfileStore implements ProfileStore {
  constructor(
    private readonly redis: SharedRedis,
    private readonly maxPerPrincipal: number,
  ) {}

  async save(principal: string, profile: UserProfile): Promise<void> {
    const key = this.key(principal)
    const saved = await this.command((client) => client.eval(SAVE_BOUNDED, 1, key, profile.id, JSON.stringify(profile), this.maxPerPrincipal))
    if (saved === 0) throw new ProfilesFull(this.maxPerPrincipal)
  }

  async get(principal: string, id: string): Promise<UserProfile | undefined> {
    const stored = await this.command((client) => client.hget(this.key(principal), id))
    return stored === null ? undefined : StoredProfile.parse(JSON.parse(stored))
  }

  async list(principal: string): Promise<UserProfile[]> {
    const stored = await this.command((client) => client.hvals(this.key(principal)))
    return stored.map((value) => StoredProfile.parse(JSON.parse(value)))
  }

  private key(principal: string): string {
    return `mcp:profiles:${principal}`
  }

  /** Redis commands fail at once while it is down and time out while it hangs; say so plainly either way. */
  private async command<T>(run: (client: SharedRedis['client']) => Promise<T>): Promise<T> {
    try {
      return await this.redis.run(() => run(this.redis.client))
    } catch {
      throw new SharedStateUnavailable()
    }
  }
}

/** Redis when the task has it (REDIS_URL), else the in-memory default; at most `maxPerPrincipal` profiles per key. */
export function profileStore(redis: SharedRedis | undefined, maxPerPrincipal: number): ProfileStore {
  return redis ? new RedisProfileStore(redis, maxPerPrincipal) : new MemoryProfileStore(maxPerPrincipal)
}
