import { defineResource } from '../../define-resource.js'

export default defineResource({
  name: 'template',
  title: 'Resource Template',
  description: 'Conformance fixture: a resource template whose reads echo the id in the URI.',
  mimeType: 'application/json',
  uri: 'test://template/{id}/data',
  async read(uri, { id }) {
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }) }] }
  },
})
