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
