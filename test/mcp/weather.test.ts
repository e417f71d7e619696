import t from 'tap'
import { ALICE, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { GOOD_FORECAST, resultText, startWeatherStub, waitFor } from './helpers.js'

const CALL = { name: 'get_weather', arguments: { latitude: 52.52, longitude: 13.41 } }

for (const transport of TRANSPORTS) {
  t.test(`get_weather over ${transport}: a good upstream answer becomes structured weather`, async (t) => {
    const stub = await startWeatherStub(t)
    const server = await startServer(t, { MCP_WEATHER_URL: stub.url })
    const client = await connect(t, server.url, ALICE, transport)
    const result = await client.callTool(CALL)
    t.notOk(result.isError)
    const { current } = GOOD_FORECAST
    t.same(result.structuredContent, {
      time: current.time,
      temperature: current.temperature_2m,
      temperatureUnit: '°C',
      humidityPercent: current.relative_humidity_2m,
      windSpeed: current.wind_speed_10m,
      windSpeedUnit: 'km/h',
      weatherCode: current.weather_code,
    })
    t.equal(stub.requests.length, 1)
    t.equal(stub.requests[0].url.pathname, '/v1/forecast')
    t.equal(stub.requests[0].url.searchParams.get('latitude'), '52.52')
    t.equal(stub.requests[0].url.searchParams.get('longitude'), '13.41')
  })

  t.test(`get_weather over ${transport}: upstream failures are clean isError results`, async (t) => {
    const stub = await startWeatherStub(t)
    const server = await startServer(t, { MCP_WEATHER_URL: `${stub.url}?apikey=weather-key-must-stay-hidden`, MCP_WEATHER_TIMEOUT_MS: '300' })
    const client = await connect(t, server.url, ALICE, transport)
    const cases = [
      { mode: 'error', says: /answered HTTP 500/ },
      { mode: 'junk', says: /sent data this tool does not understand/ },
      { mode: 'wrong-shape', says: /sent data this tool does not understand/ },
      { mode: 'slow', says: /did not answer within 300 ms/ },
      { mode: 'stalled-body', says: /did not answer within 300 ms/ },
    ] as const
    for (const { mode, says } of cases) {
      stub.mode = mode
      const result = await client.callTool(CALL)
      t.equal(result.isError, true, `${mode}: isError`)
      t.match(resultText(result), says, `${mode}: says what went wrong`)
      t.notMatch(resultText(result), /127\.0\.0\.1|apikey|weather-key|\n\s+at /, `${mode}: no upstream URL, key or stack`)
    }
    await waitFor(() => stub.requests.at(-1)!.abandoned, 'the timed-out upstream request to be dropped')
    t.pass('the timed-out upstream request was dropped, not left open')

    const refused = await startServer(t, { MCP_WEATHER_URL: 'http://127.0.0.1:1/forecast' })
    const other = await connect(t, refused.url, ALICE, transport)
    const unreachable = await other.callTool(CALL)
    t.equal(unreachable.isError, true)
    t.match(resultText(unreachable), /could not be reached/)
    t.notMatch(server.logs.text + refused.logs.text, /weather-key-must-stay-hidden/, 'the upstream key never reaches the log')
  })

  t.test(`get_weather over ${transport}: a redirect is refused, never followed to any host`, async (t) => {
    const stub = await startWeatherStub(t)
    const elsewhere = await startWeatherStub(t)
    stub.mode = 'redirect'
    stub.redirectTo = `${elsewhere.url}?stolen=1`
    const server = await startServer(t, { MCP_WEATHER_URL: stub.url })
    const client = await connect(t, server.url, ALICE, transport)
    const result = await client.callTool(CALL)
    t.equal(result.isError, true, 'isError')
    t.match(resultText(result), /answered with a redirect \(HTTP 302\), which this tool does not follow/)
    t.notMatch(resultText(result), /127\.0\.0\.1|stolen/, 'neither the upstream nor the redirect target is shown')
    t.equal(stub.requests.length, 1, 'the configured upstream was asked once')
    t.equal(elsewhere.requests.length, 0, 'the redirect target was never contacted')
    stub.mode = 'good'
    t.notOk((await client.callTool(CALL)).isError, 'the same session still gets the weather afterwards')
  })

  t.test(`get_weather over ${transport}: cancelling the call aborts the upstream request`, async (t) => {
    const stub = await startWeatherStub(t)
    stub.mode = 'slow'
    const server = await startServer(t, { MCP_WEATHER_URL: stub.url, MCP_WEATHER_TIMEOUT_MS: '600000' })
    const client = await connect(t, server.url, ALICE, transport)
    const controller = new AbortController()
    const call = client.callTool(CALL, { signal: controller.signal })
    await waitFor(() => stub.requests.length === 1, 'the upstream request')
    controller.abort('user pressed stop')
    await t.rejects(call, 'the client gave up')
    await waitFor(() => stub.requests[0].abandoned, 'the upstream request to be aborted')
    t.pass('the server aborted its upstream request')
    await waitFor(() => server.logs.records().some((record) => record.event === 'tool_call'), 'the audit line')
    t.match(server.logs.records().find((record) => record.event === 'tool_call'), { tool: 'get_weather', outcome: 'cancelled' })
  })

  t.test(`get_weather over ${transport}: coordinates out of range are refused before any request`, async (t) => {
    const stub = await startWeatherStub(t)
    const server = await startServer(t, { MCP_WEATHER_URL: stub.url })
    const client = await connect(t, server.url, ALICE, transport)
    const result = await client.callTool({ name: 'get_weather', arguments: { latitude: 91, longitude: 0 } })
    t.equal(result.isError, true)
    t.match(resultText(result), /latitude: Too big: expected number to be <=90/)
    t.equal(stub.requests.length, 0)
  })
}
