import { fromJsonSchema } from '@modelcontextprotocol/server'
import { defineTool } from '../../define.js'

interface Contact {
  name?: string
  address?: { street?: string; city?: string }
  contactMethod?: 'phone' | 'email'
  phone?: string
  email?: string
}

/**
 * SEP-1613 and SEP-2106: an input schema in JSON Schema 2020-12 whose keywords (`$schema`, `$defs`, `$anchor`,
 * `allOf`/`anyOf`, `if`/`then`/`else`, `additionalProperties`) tools/list must carry unchanged.
 */
export default defineTool({
  name: 'json_schema_2020_12_tool',
  description: 'Conformance fixture: a tool whose input schema uses JSON Schema 2020-12 keywords (SEP-1613, SEP-2106).',
  inputSchema: fromJsonSchema<Contact>({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
    properties: {
      name: { type: 'string' },
      address: { $ref: '#/$defs/address' },
      contactMethod: { type: 'string', enum: ['phone', 'email'] },
      phone: { type: 'string' },
      email: { type: 'string' },
    },
    allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
    if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
    then: { required: ['phone'] },
    else: { required: ['email'] },
    additionalProperties: false,
  }),
  async run(args) {
    return { content: [{ type: 'text', text: `JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}` }] }
  },
})
