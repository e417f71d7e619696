import type { Redis } from 'ioredis'
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
  save(principal: string, profile: UserProfile): Promise<void>
  get(principal: string, id: string): Promise<UserProfile | undefined>
  list(principal: string): Promise<UserProfile[]>
}

/** The embedded default: profiles live as long as the process. */
export class MemoryProfileStore implements ProfileStore {
  private readonly byPrincipal = new Map<string, Map<string, UserProfile>>()

  async save(principal: string, profile: UserProfile): Promise<void> {
    let profiles = this.byPrincipal.get(principal)
    if (!profiles) this.byPrincipal.set(principal, (profiles = new Map()))
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

/** Profiles in Redis, one hash per principal, so every task sees the same profiles and they outlive a task. */
export class RedisProfileStore implements ProfileStore {
  constructor(private readonly redis: Redis) {}

  async save(principal: string, profile: UserProfile): Promise<void> {
    await this.command(() => this.redis.hset(this.key(principal), profile.id, JSON.stringify(profile)))
  }

  async get(principal: string, id: string): Promise<UserProfile | undefined> {
    const stored = await this.command(() => this.redis.hget(this.key(principal), id))
    return stored === null ? undefined : StoredProfile.parse(JSON.parse(stored))
  }

  async list(principal: string): Promise<UserProfile[]> {
    const stored = await this.command(() => this.redis.hvals(this.key(principal)))
    return stored.map((value) => StoredProfile.parse(JSON.parse(value)))
  }

  private key(principal: string): string {
    return `mcp:profiles:${principal}`
  }

  /** Redis commands fail at once while it is down (no offline queue); say so plainly instead of hanging. */
  private async command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch {
      throw new SharedStateUnavailable()
    }
  }
}

/** Redis when the task has it (REDIS_URL), else the in-memory default. */
export function profileStore(redis: Redis | undefined): ProfileStore {
  return redis ? new RedisProfileStore(redis) : new MemoryProfileStore()
}
