import { defineTool } from '../../define.js'

/** SEP-2575: a call whose response stream must carry no request of the server's own, only the result. */
export default defineTool({
  name: 'test_streaming_elicitation',
  description: 'Conformance fixture: answers with a result only, no server-to-client request on its stream.',
  inputSchema: {},
  async run() {
    return { content: [{ type: 'text', text: 'stream observed: result frames only, no top-level requests' }] }
  },
})
