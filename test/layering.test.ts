import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'

const APP = resolve(import.meta.dirname, '../app')

/** Which layers each layer of app/ must never import: dependencies point one way, and the catalog knows no HTTP. */
const FORBIDDEN: Record<string, string[]> = {
  http: ['sessions', 'transports', 'mcp'],
  sessions: ['transports', 'mcp'],
  transports: ['mcp'],
  mcp: ['http', 'sessions', 'transports'],
  // Spans and metrics know MCP messages and OpenTelemetry, nothing of the app that reports them.
  telemetry: ['http', 'sessions', 'transports', 'mcp'],
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8')
  return [...source.matchAll(/^\s*(?:import|export)\b[^'"]*from\s+'(\.[^']+)'/gm)].map((match) => relative(APP, resolve(dirname(file), match[1])))
}

for (const [layer, forbidden] of Object.entries(FORBIDDEN)) {
  t.test(`app/${layer} imports nothing from ${forbidden.map((name) => `app/${name}`).join(', ')}`, async (t) => {
    const files = readdirSync(join(APP, layer), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))
    t.ok(files.length > 0, `app/${layer} has modules`)
    const crossings = files.flatMap((name) =>
      importsOf(join(APP, layer, name))
        .filter((target) => forbidden.includes(target.split('/')[0]))
        .map((target) => `app/${layer}/${name} -> app/${target}`),
    )
    t.same(crossings, [], 'no import crosses the layering')
  })
}
