import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import type { Tap } from '../helpers/http.js'
import { freePort } from '../helpers/processes.js'
import { devDependencyBin } from './bins.js'

export interface Bridge {
  client: Client
  transport: StdioClientTransport
  /** Where mcp-remote keeps its OAuth state for this test (MCP_REMOTE_CONFIG_DIR). */
  configDir: string
  /** The loopback port its OAuth callback listens on; the redirect URI is `http://127.0.0.1:<port>/oauth/callback`. */
  callbackPort: number
  /** What mcp-remote wrote to stderr so far (its log). */
  log(): string
}

/** For its OAuth flow: a callback port chosen beforehand (the redirect URI a server was configured with), more flags. */
export interface BridgeOAuth {
  callbackPort?: number
  args?: string[]
}

/** How the bridge reaches the server: legacy SSE (`/sse`), or Streamable HTTP (`/mcp`) in the 2025 era or in mcp-remote's auto era mode. */
const BRIDGE_ARGS = {
  sse: ['--transport', 'sse-only'],
  streamable: ['--transport', 'http-only'],
  'modern-auto': ['--transport', 'http-only', '--protocol', 'auto'],
}

/**
 * mcp-remote as Claude Desktop runs it: an stdio MCP server bridging to our `/sse` with the key in a header,
 * or with no key (`undefined`), signing in with its own OAuth flow. The SDK transport spawns it and stops it by
 * its handle (its PID). Its OAuth callback listens on a free port of 127.0.0.1 (`--host`: its default,
 * `localhost`, may resolve to another address), its state goes to a temporary MCP_REMOTE_CONFIG_DIR, and BROWSER
 * is a no-op so that no test ever starts a browser for a sign-in.
 */
export async function startBridge(t: Tap, serverUrl: string, key: string | undefined, mode: keyof typeof BRIDGE_ARGS = 'sse', oauth: BridgeOAuth = {}): Promise<Bridge> {
  const callbackPort = oauth.callbackPort ?? (await freePort())
  const configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'))
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      devDependencyBin('mcp-remote'),
      serverUrl,
      String(callbackPort),
      '--host',
      '127.0.0.1',
      ...BRIDGE_ARGS[mode],
      ...(key === undefined ? [] : ['--header', `Authorization: Bearer ${key}`]),
      ...(oauth.args ?? []),
    ],
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
  return { client, transport, configDir, callbackPort, log: () => log }
}
