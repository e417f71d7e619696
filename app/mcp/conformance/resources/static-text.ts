import { defineResource } from '../../define-resource.js'

export default defineResource({
  name: 'static-text',
  title: 'Static Text Resource',
  description: 'Conformance fixture: a fixed text resource.',
  mimeType: 'text/plain',
  uri: 'test://static-text',
  async read(uri) {
    return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }
  },
})
