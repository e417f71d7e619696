// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import { constants } from 'node:fs'
import { open, realpath } from 'node:fs/promises'
import { isAbsolute, resolve, sep, win32 } from 'node:path'
import { z } from 'zod'
import { defineTool, toolError } from '../define.js'

const OUTSIDE = 'Refused: give a path relative to the file sandbox that stays inside it'
const NOT_FOUND = 'No such file in the sandbox'

// O_NOFOLLOW: the last component cannot be swapped for a symlink after the check. O_NONBLOCK: opening a
// FIFO must not hang the call (it is refused right after as not a regular file).
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

class Refusal extends Error {}

/**
 * Turns what the model asked for into a real path inside the root, or throws a Refusal whose message never
 * names anything outside the root (not even the root itself).
 */
async function resolveInside(root: string, requested: string): Promise<string> {
  const segments = requested.split(/[\\/]/)
  if (requested.includes('\0') || isAbsolute(requested) || win32.isAbsolute(requested) || segments.includes('..')) {
    throw new Refusal(OUTSIDE)
  }
  let real: string
  try {
    // realpath follows every symlink on the way, so a link that points outside is caught below.
    real = await realpath(resolve(root, requested))
  } catch {
    throw new Refusal(NOT_FOUND)
  }
  if (real !== root && !real.startsWith(root + sep)) throw new Refusal(OUTSIDE)
  return real
}

/** Reads at most `maxBytes` (+1 to notice a file that grew past the limit after it was checked). */
async function readBounded(path: string, maxBytes: number): Promise<Buffer> {
  const file = await open(path, OPEN_FLAGS)
  try {
    const stat = await file.stat()
    if (stat.isDirectory()) throw new Refusal('That is a directory; give the path of a file')
    if (!stat.isFile()) throw new Refusal('That is not a regular file')
    if (stat.size > maxBytes) throw new Refusal(`The file is ${stat.size} bytes; this server reads at most ${maxBytes}`)
    const buffer = Buffer.alloc(stat.size + 1)
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0)
    if (bytesRead > maxBytes) throw new Refusal(`The file is larger than ${maxBytes} bytes`)
    return buffer.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
}

export default defineTool({
  name: 'read_file',
  title: 'Read a text file',
  description:
    'Reads a UTF-8 text file from the server\'s file sandbox. Give a path relative to the sandbox, such as ' +
    '"notes/todo.md"; absolute paths, ".." and links leading outside the sandbox are refused, as are directories and large files.',
  inputSchema: {
    // Mirrored in the `Mcp-Param-File-Path` header by 2026-07-28 clients (SEP-2243), so a gateway can allow
    // or route by path without reading the body; the server checks the header against the argument.
    path: z
      .string()
      .min(1)
      .max(1024)
      .describe('Path of the file, relative to the sandbox root, e.g. "notes/todo.md"')
      .meta({ 'x-mcp-header': 'File-Path' }),
  },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run({ path }, { services, log, clientLog }) {
    const { filesRoot, filesMaxBytes } = services.config
    let root: string
    try {
      root = await realpath(filesRoot)
    } catch {
      return toolError('The file sandbox is not set up on this server (MCP_FILES_ROOT does not exist)')
    }
    let bytes: Buffer
    try {
      bytes = await readBounded(await resolveInside(root, path), filesMaxBytes)
    } catch (error) {
      const reason = error instanceof Refusal ? error.message : NOT_FOUND
      log.info({ event: 'file_refused', reason, code: (error as NodeJS.ErrnoException).code }, 'read_file refused a path')
      await clientLog('warning', reason)
      return toolError(reason)
    }
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      return toolError('The file is not UTF-8 text')
    }
    await clientLog('info', `Read ${bytes.length} bytes`)
    return { content: [{ type: 'text', text }] }
  },
})
