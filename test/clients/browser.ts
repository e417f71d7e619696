import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Tap } from '../helpers/http.js'

/** Debian's chromium; `npm test` installs it (scripts/test.mjs). */
const CHROMIUM = '/usr/bin/chromium'

/** Every browser step (a click, a wait for text) is bounded by this. */
export const STEP_TIMEOUT_MS = 30_000

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** A headless chromium that phones nowhere, closed (and its process with it) when the test ends. */
export async function launchBrowser(t: Tap): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it (Debian: apt-get install chromium)`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    timeout: 60_000,
  })
  t.teardown(() => browser.close())
  return browser
}

/**
 * A fresh page whose requests may only reach loopback: tests send no traffic elsewhere (the Inspector UI asks
 * for web fonts on the internet; the page works without them).
 */
export async function loopbackPage(t: Tap, browser: Browser): Promise<Page> {
  const context = await browser.newContext()
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS)
  await page.route('**/*', (route) => (LOOPBACK_HOSTS.has(new URL(route.request().url()).hostname) ? route.continue() : route.abort()))
  return page
}
