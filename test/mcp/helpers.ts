import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AddressInfo } from 'node:net'
import { ProtocolError } from '@modelcontextprotocol/client'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Polls until `condition` holds; fails after `limitMs` (a bound on the test, never an assertion on speed). */
export async function waitFor(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** The protocol error a call was refused with. */
export async function callError(call: Promise<unknown>): Promise<ProtocolError> {
  const error = await call.then(
    () => undefined,
    (rejection: unknown) => rejection,
  )
  if (!(error instanceof ProtocolError)) throw new Error(`expected a protocol error, got ${String(error)}`)
  return error
}

/** The text of a tool result's first content item. */
export function resultText(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0].text
}

export type UpstreamMode = 'good' | 'slow' | 'error' | 'junk' | 'wrong-shape' | 'stalled-body' | 'redirect'

export interface UpstreamRequest {
  url: URL
  /** True when the caller hung up before this stub answered. */
  abandoned: boolean
}

export const GOOD_FORECAST = {
  latitude: 52.52,
  longitude: 13.41,
  current_units: { time: 'iso8601', temperature_2m: '°C', relative_humidity_2m: '%', wind_speed_10m: 'km/h' },
  current: { time: '2025-01-01T12:00', temperature_2m: 3.5, relative_humidity_2m: 81, wind_speed_10m: 12.2, weather_code: 3 },
}

/** A stand-in for the weather API on 127.0.0.1 that answers as `mode` says; closed when the test ends. */
export async function startWeatherStub(t: Teardown) {
  /** Where `redirect` mode sends the caller (another host a redirect-following client would reach). */
  const stub = { mode: 'good' as UpstreamMode, requests: [] as UpstreamRequest[], url: '', redirectTo: 'http://127.0.0.1:1/' }
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const record: UpstreamRequest = { url: new URL(request.url ?? '/', 'http://stub'), abandoned: false }
    stub.requests.push(record)
    response.on('close', () => {
      if (!response.writableEnded) record.abandoned = true
    })
    switch (stub.mode) {
      case 'good':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(GOOD_FORECAST))
      case 'error':
        return void response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":true,"reason":"upstream broke"}')
      case 'junk':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end('<html>this is not JSON')
      case 'wrong-shape':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"current":{"temperature_2m":"warm"}}')
      case 'stalled-body':
        // Headers and the start of the body, then nothing: only a timeout that covers the body ends it.
        response.writeHead(200, { 'content-type': 'application/json' })
        return void response.write('{"current":')
      case 'redirect':
        return void response.writeHead(302, { location: stub.redirectTo }).end()
      case 'slow':
        return // never answers: the caller's timeout or cancellation has to end it
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/forecast`
  return stub
}

/** The first content of a resources/read answer, as text. */
export function resourceText(result: { contents: ({ text: string } | { blob: string })[] }): string {
  const [first] = result.contents
  if (!('text' in first)) throw new Error('expected a text resource')
  return first.text
}
