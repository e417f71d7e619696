import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { freePort } from '../helpers/processes.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

const ROOT = new URL('../../', import.meta.url).pathname
/** The devDependency's bin, the one `npx mcp-remote` runs. */
const MCP_REMOTE_BIN = join(ROOT, 'node_modules/.bin/mcp-remote')

export interface Bridge {
  client: Client
  transport: StdioClientTransport
  /** Where mcp-remote keeps its OAuth state for this test (MCP_REMOTE_CONFIG_DIR). */
  configDir: string
  /** What mcp-remote wrote to stderr so far (its log). */
  log(): string
}

/**
 * mcp-remote as Claude Desktop runs it: an stdio MCP server bridging to our `/sse` with the key in a header.
 * It runs under node directly, not npx, so the PID the SDK transport stops is mcp-remote's own. Its OAuth
 * callback listens on a free loopback port, its state goes to a temporary MCP_REMOTE_CONFIG_DIR, and BROWSER
 * is a no-op so that no test ever starts a browser for a sign-in.
 */
export async function startBridge(t: Teardown, serverSseUrl: string, key: string): Promise<Bridge> {
  const callbackPort = await freePort()
  const configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'))
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_REMOTE_BIN, serverSseUrl, String(callbackPort), '--transport', 'sse-only', '--header', `Authorization: Bearer ${key}`],
    env: { MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: 'true' },
    stderr: 'pipe',
  })
  let log = ''
  transport.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  t.teardown(async () => {
    // Ends its stdin, then SIGTERM and SIGKILL to its PID if it is still running.
    await transport.close()
    rmSync(configDir, { recursive: true, force: true })
  })
  const client = new Client({ name: 'claude-desktop-stand-in', version: '1.0.0' })
  return { client, transport, configDir, log: () => log }
}

/** Whether a process with this PID still exists (signal 0 only checks). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
