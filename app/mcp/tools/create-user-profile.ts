// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineTool, toolError } from '../define.js'
import { ProfilesFull } from '../profiles.js'
import { profileUri } from '../resources/user-profile.js'

export default defineTool({
  name: 'create_user_profile',
  title: 'Create a user profile',
  description:
    'Stores a user profile (name, email, age) for the calling API key and returns it with its id and the ' +
    'resource URI it can be read back from (users://{id}/profile). Profiles are private to the key that created them.',
  inputSchema: {
    name: z.string().trim().min(1).max(100).describe('Full name, 1 to 100 characters'),
    email: z.email().max(254).describe('E-mail address'),
    age: z.number().int().min(0).max(150).describe('Age in whole years, 0 to 150'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ name, email, age }, { principal, services, clientLog }) {
    const profile = { id: randomUUID(), name, email, age, createdAt: new Date().toISOString() }
    try {
      await services.profiles.save(principal.name, profile)
    } catch (error) {
      if (error instanceof ProfilesFull) return toolError(error.message)
      throw error
    }
    await clientLog('info', `Created profile ${profile.id}`)
    // The resources the key lists grew by one: `subscriptions/listen` streams that asked are told, on every task.
    services.changes.publish({ kind: 'resources_list_changed' })
    return {
      content: [
        { type: 'text', text: JSON.stringify(profile) },
        // A link the client can follow with resources/read, so the model learns where the profile lives.
        { type: 'resource_link', uri: profileUri(profile.id), name: `${name}'s profile`, mimeType: 'application/json' },
      ],
      structuredContent: profile,
    }
  },
})
