import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import type { Tap } from '../helpers/http.js'
import { eventually, freePort, spawnChild, waitForPort, type Child } from '../helpers/processes.js'
import { devDependencyBin } from './bins.js'

export interface InspectorWeb {
  child: Child
  /** The address the Inspector prints for users to open, with its UI token. */
  url: string
}

/** How the Inspector reaches the server: its transport and protocol era, and its UI port chosen beforehand. */
export interface InspectorOptions {
  transport?: 'sse' | 'http'
  era?: 'legacy' | 'modern'
  /** Its OAuth redirect URI is `http://127.0.0.1:<port>/oauth/callback`, which a server may need to know first. */
  port?: number
}

/**
 * The Inspector web UI started as the README tells users to (`--transport sse --server-url … --header …`), or
 * with no key (`undefined`): then it signs in with its own OAuth flow. Its ports are free loopback ports, it
 * opens no browser, and its state (catalog, secrets) goes to a temporary HOME removed when the test ends.
 */
export async function startInspectorWeb(t: Tap, serverUrl: string, key: string | undefined, { transport = 'sse', era = 'legacy', port: chosenPort }: InspectorOptions = {}): Promise<InspectorWeb> {
  const port = chosenPort ?? (await freePort())
  const token = randomBytes(16).toString('hex')
  const home = mkdtempSync(join(tmpdir(), 'inspector-home-'))
  const child = spawnChild(t, process.execPath, [
    devDependencyBin('mcp-inspector'),
    '--transport',
    transport,
    '--server-url',
    serverUrl,
    '--protocol-era',
    era,
    ...(key === undefined ? [] : ['--header', `Authorization: Bearer ${key}`]),
  ], {
    HOME: home,
    HOST: '127.0.0.1',
    CLIENT_PORT: String(port),
    MCP_SANDBOX_PORT: '0',
    MCP_APP_ORIGIN_PORT: '0',
    MCP_AUTO_OPEN_ENABLED: 'false',
    MCP_INSPECTOR_API_TOKEN: token,
    MCP_INSPECTOR_SECRET_STORE: 'memory',
  })
  t.teardown(async () => {
    await child.stop(1_000)
    rmSync(home, { recursive: true, force: true })
  })
  if (!(await eventually(() => child.output.includes('is up and running'), 60_000, 100))) {
    throw new Error(`the Inspector did not start: ${child.output.slice(-500)}`)
  }
  await waitForPort(port)
  return { child, url: `http://127.0.0.1:${port}/?MCP_INSPECTOR_API_TOKEN=${token}` }
}

/** The Inspector UI's page, driven the way a person uses it. */
export class InspectorPage {
  constructor(readonly page: Page) {}

  /** Opens the UI and waits for the server card to show, as a person waits before reaching for its switch. */
  async open(inspector: InspectorWeb) {
    await this.page.goto(inspector.url)
    await this.page.getByText('Disconnected', { exact: true }).waitFor()
  }

  get connectSwitch() {
    return this.page.getByRole('switch', { name: /^Connect or disconnect/ })
  }

  /**
   * Flips the server card's switch on. Mantine draws its track over the input, so the click lands on the track;
   * it waits for the input to be laid out first (a forced click skips that wait, and a busy machine renders late).
   */
  async connect() {
    await this.connectSwitch.waitFor({ state: 'visible' })
    await this.connectSwitch.click({ force: true })
  }

  /** Waits for the server card to settle and returns its status: "Connected" or "Failed". */
  async settledStatus(): Promise<string> {
    const status = this.page.getByText(/^(Connected|Failed)$/)
    await status.waitFor()
    return status.innerText()
  }

  async openTools() {
    await this.page.getByText('Tools', { exact: true }).click()
    await this.page.getByRole('heading', { name: /^Tools \(\d+\)$/ }).waitFor()
  }

  /** How many tools the Tools screen's heading says it listed. */
  async listedToolCount(): Promise<number> {
    const heading = await this.page.getByRole('heading', { name: /^Tools \(\d+\)$/ }).innerText()
    return Number(/\((\d+)\)/.exec(heading)![1])
  }

  toolButton(name: string) {
    return this.page.getByRole('button', { name: new RegExp(` ${name}$`) })
  }

  /** Selects the tool, runs it with its default (empty) arguments and returns the result JSON shown. */
  async runTool(name: string): Promise<unknown> {
    await this.toolButton(name).click()
    await this.page.getByRole('button', { name: 'Execute Tool' }).click()
    await this.page.getByRole('heading', { name: 'Results' }).waitFor()
    // The result is shown in a read-only Ace editor that fills in after it appears: wait for the closing brace.
    const result = this.page.getByRole('group', { name: /^Editor content/ }).filter({ hasText: /\}\s*$/ }).first()
    await result.waitFor()
    return JSON.parse(await result.innerText())
  }

  /** The notification the UI raises when connecting failed. */
  failureAlert() {
    return this.page.getByRole('alert').filter({ hasText: /failed/i })
  }
}
