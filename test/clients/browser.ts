import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Tap } from '../helpers/http.js'

/** Debian's chromium; `npm test` installs it (scripts/test.mjs). */
const CHROMIUM = '/usr/bin/chromium'

/** Every browser step (a click, a wait for text) is bounded by this. */
export const STEP_TIMEOUT_MS = 30_000

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** How long closing a page's context or the browser may take before its process is killed. */
const CLOSE_TIMEOUT_MS = 10_000

/** Settles when `closing` does or after `ms`, whichever comes first: a teardown must not hang the test file. */
async function within(ms: number, closing: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const closed = await Promise.race([closing.then(() => true, () => true), timedOut])
  clearTimeout(timer)
  return closed
}

/**
 * A headless chromium that phones nowhere, closed when the test ends; if closing hangs, its process is killed by
 * PID (launched as a browser server, whose process we hold, and connected to).
 */
export async function launchBrowser(t: Tap): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it (Debian: apt-get install chromium)`)
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    timeout: 60_000,
  })
  t.teardown(async () => {
    if (!(await within(CLOSE_TIMEOUT_MS, server.close()))) await server.kill()
  })
  return await chromium.connect(server.wsEndpoint(), { timeout: 60_000 })
}

/**
 * A fresh page whose requests may only reach loopback: tests send no traffic elsewhere (the Inspector UI asks
 * for web fonts on the internet; the page works without them).
 */
export async function loopbackPage(t: Tap, browser: Browser): Promise<Page> {
  const context = await browser.newContext()
  // A context that will not close is left to the browser's own teardown, which kills it if need be.
  t.teardown(() => within(CLOSE_TIMEOUT_MS, context.close()))
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS)
  await page.route('**/*', (route) => (LOOPBACK_HOSTS.has(new URL(route.request().url()).hostname) ? route.continue() : route.abort()))
  return page
}
