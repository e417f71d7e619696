// EXAMPLE tool: how to remove it is in docs/tools.md, "The examples".
import type { Tracer } from '@opentelemetry/api'
import { z } from 'zod'
import { tracedFetch } from '../../telemetry/fetch.js'
import { defineTool, toolError, toolJson } from '../define.js'

/** The part of an Open-Meteo forecast answer this tool uses; anything else upstream sends is ignored. */
const ForecastSchema = z.object({
  current: z.object({
    time: z.string(),
    temperature_2m: z.number(),
    relative_humidity_2m: z.number(),
    wind_speed_10m: z.number(),
    weather_code: z.number().int(),
  }),
  current_units: z.object({ temperature_2m: z.string(), wind_speed_10m: z.string() }),
})

const WeatherSchema = {
  time: z.string(),
  temperature: z.number(),
  temperatureUnit: z.string(),
  humidityPercent: z.number(),
  windSpeed: z.number(),
  windSpeedUnit: z.string(),
  weatherCode: z.number().int(),
}

class UpstreamError extends Error {}

/**
 * Fetches and validates the forecast. `signal` ends the request and the body read on cancellation or
 * timeout, so the timeout covers a body that stalls too; every way upstream can fail becomes an
 * UpstreamError whose message is safe to show the model. Redirects are never followed (`redirect: 'manual'`
 * hands the 3xx back, per the Fetch standard as Node's undici implements it): the configured URL is the
 * only host this tool talks to. With tracing on, the request is a CLIENT span of the call's span.
 */
async function fetchForecast(url: URL, signal: AbortSignal, timeoutMs: number, tracer: Tracer | undefined) {
  const timedOut = () => new UpstreamError(`The weather service did not answer within ${timeoutMs} ms`)
  let response: Response
  try {
    response = await tracedFetch(tracer, url, { signal, redirect: 'manual', headers: { accept: 'application/json' } })
  } catch (error) {
    if (signal.aborted) throw timedOut()
    throw new UpstreamError('The weather service could not be reached', { cause: error })
  }
  if (!response.ok) {
    await response.body?.cancel()
    if (response.status >= 300 && response.status < 400) {
      throw new UpstreamError(`The weather service answered with a redirect (HTTP ${response.status}), which this tool does not follow`)
    }
    throw new UpstreamError(`The weather service answered HTTP ${response.status}`)
  }
  let body: unknown
  try {
    body = await response.json()
  } catch {
    if (signal.aborted) throw timedOut()
    body = undefined
  }
  const forecast = ForecastSchema.safeParse(body)
  if (!forecast.success) throw new UpstreamError('The weather service sent data this tool does not understand')
  return forecast.data
}

export default defineTool({
  name: 'get_weather',
  title: 'Current weather',
  description:
    'Current weather at a place given by latitude and longitude (decimal degrees): temperature, relative humidity, ' +
    'wind speed and the WMO weather code. Look up the coordinates of a city first if you only know its name.',
  inputSchema: {
    latitude: z.number().min(-90).max(90).describe('Latitude in decimal degrees, -90 to 90'),
    longitude: z.number().min(-180).max(180).describe('Longitude in decimal degrees, -180 to 180'),
  },
  outputSchema: WeatherSchema,
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run({ latitude, longitude }, { services, ctx, log, clientLog }) {
    const { weatherUrl, weatherTimeoutMs } = services.config
    const url = new URL(weatherUrl)
    url.searchParams.set('latitude', String(latitude))
    url.searchParams.set('longitude', String(longitude))
    url.searchParams.set('current', 'temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code')
    // The request ends when the client cancels the call (or the session ends) or when the timeout passes.
    const signal = AbortSignal.any([ctx.mcpReq.signal, AbortSignal.timeout(weatherTimeoutMs)])
    await clientLog('info', `Asking the weather service about ${latitude}, ${longitude}`)
    try {
      const { current, current_units: units } = await fetchForecast(url, signal, weatherTimeoutMs, services.tracing?.tracer)
      return toolJson({
        time: current.time,
        temperature: current.temperature_2m,
        temperatureUnit: units.temperature_2m,
        humidityPercent: current.relative_humidity_2m,
        windSpeed: current.wind_speed_10m,
        windSpeedUnit: units.wind_speed_10m,
        weatherCode: current.weather_code,
      })
    } catch (error) {
      if (ctx.mcpReq.signal.aborted) return toolError('The weather request was cancelled')
      if (!(error instanceof UpstreamError)) throw error
      // The URL stays out of logs and answers: some weather APIs take their key in the query string.
      log.warn({ event: 'upstream_failed', upstream: 'weather', err: error }, 'weather service failed')
      await clientLog('warning', error.message)
      return toolError(error.message)
    }
  },
})
