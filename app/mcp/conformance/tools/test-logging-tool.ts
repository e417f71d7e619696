import { defineTool } from '../../define.js'

/** SEP-2575: logs through the request's own channel, which stays silent unless the request set `_meta` logLevel. */
export default defineTool({
  name: 'test_logging_tool',
  description: 'Conformance fixture: logs one message, delivered only when the request asked for a log level.',
  inputSchema: {},
  async run(_args, { clientLog }) {
    await clientLog('info', 'test_logging_tool ran (delivered only when the request set _meta.logLevel)')
    return { content: [{ type: 'text', text: 'logged through the request-scoped, logLevel-gated channel' }] }
  },
})
