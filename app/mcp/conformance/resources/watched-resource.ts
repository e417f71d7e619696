import { defineResource } from '../../define-resource.js'

/** The resource the subscribe and unsubscribe scenarios subscribe to. */
export default defineResource({
  name: 'watched-resource',
  title: 'Watched Resource',
  description: 'Conformance fixture: a fixed text resource for subscription tests.',
  mimeType: 'text/plain',
  uri: 'test://watched-resource',
  async read(uri) {
    return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }] }
  },
})
