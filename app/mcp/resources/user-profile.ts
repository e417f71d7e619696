// EXAMPLE resource: how to remove it is in docs/tools.md, "The examples".
import { defineResource, resourceNotFound } from '../define-resource.js'

export const profileUri = (id: string) => `users://${encodeURIComponent(id)}/profile`

/** The profile id a URI names, or undefined when its %-escapes are malformed (no profile has such an id). */
function profileId(userId: string | string[] | undefined): string | undefined {
  if (typeof userId !== 'string') return undefined
  try {
    return decodeURIComponent(userId)
  } catch {
    return undefined
  }
}

export default defineResource({
  name: 'user-profile',
  title: 'User profile',
  description: 'A user profile created with the create_user_profile tool. Only profiles created with the same API key can be read.',
  mimeType: 'application/json',
  uri: 'users://{user_id}/profile',
  async list({ principal, services }) {
    const profiles = await services.profiles.list(principal.name)
    return profiles.map((profile) => ({ uri: profileUri(profile.id), name: `${profile.name}'s profile`, mimeType: 'application/json' }))
  },
  async read(uri, { user_id }, { principal, services }) {
    // Another key's profile, and an id no profile can have, answer exactly like one that never existed.
    const id = profileId(user_id)
    const profile = id === undefined ? undefined : await services.profiles.get(principal.name, id)
    if (!profile) throw resourceNotFound(uri)
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(profile) }] }
  },
})
