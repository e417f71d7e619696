import { defineResource } from '../../define-resource.js'
import { TEST_IMAGE_BASE64 } from '../media.js'

export default defineResource({
  name: 'static-binary',
  title: 'Static Binary Resource',
  description: 'Conformance fixture: a fixed binary resource (a PNG image).',
  mimeType: 'image/png',
  uri: 'test://static-binary',
  async read(uri) {
    return { contents: [{ uri: uri.href, mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }] }
  },
})
