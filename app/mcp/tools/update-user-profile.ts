// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import { z } from 'zod'
import { defineTool, toolError } from '../define.js'
import { profileUri } from '../resources/user-profile.js'

export default defineTool({
  name: 'update_user_profile',
  title: 'Update a user profile',
  description:
    'Changes the name, email or age of a profile created with create_user_profile by the same API key, and returns ' +
    'the profile as stored. Clients subscribed to its resource (users://{id}/profile) are told it changed.',
  inputSchema: {
    id: z.string().min(1).max(100).describe('The profile id create_user_profile returned'),
    name: z.string().trim().min(1).max(100).optional().describe('New full name, 1 to 100 characters'),
    email: z.email().max(254).optional().describe('New e-mail address'),
    age: z.number().int().min(0).max(150).optional().describe('New age in whole years, 0 to 150'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run({ id, ...changes }, { principal, services }) {
    const stored = await services.profiles.get(principal.name, id)
    // Another key's profile answers exactly like one that never existed.
    if (!stored) return toolError(`No profile ${id} was created with this key`)
    const profile = { ...stored, ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) }
    await services.profiles.save(principal.name, profile)
    // What subscribers of the resource hear, on every task: `notifications/resources/updated` with its URI.
    services.changes.publish({ kind: 'resource_updated', uri: profileUri(id) })
    return { content: [{ type: 'text', text: JSON.stringify(profile) }], structuredContent: profile }
  },
})
