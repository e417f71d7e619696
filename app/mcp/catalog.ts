import type { ServerOptions } from '@modelcontextprotocol/server'
import type { Config } from '../config.js'
import type { CatalogNames } from '../keys.js'
import type { PromptDefinition } from './define-prompt.js'
import type { ResourceDefinition } from './define-resource.js'
import { mirrorsParamHeader, type ToolDefinition } from './define.js'
import * as promptFiles from './prompts/index.js'
import * as resourceFiles from './resources/index.js'
import * as toolFiles from './tools/index.js'

/** By name: what tools/list, resources/list and prompts/list show, whatever the export names or line order. */
const byName = <T extends { name: string }>(entries: T[]): T[] => entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

/**
 * Everything this server offers: every export of tools/index.ts, resources/index.ts and prompts/index.ts.
 * Adding a capability: write one file under app/mcp/tools/, resources/ or prompts/ and add its one
 * `export { default as … } from './….js'` line to that folder's index.ts.
 *
 * Every entry is an EXAMPLE, each showing one pattern (docs/tools.md, "The examples"): keep the ones you need
 * and remove the others as that section says (the file, its line in index.ts, its tests and settings).
 */
export const tools = byName(Object.values(toolFiles) as ToolDefinition[])

export const resources = byName(Object.values(resourceFiles) as ResourceDefinition[])

export const prompts = byName(Object.values(promptFiles) as PromptDefinition[])

/** What a server offers: its tools, resources and prompts, and how it checks the state its tools hand out. */
export interface Catalog {
  tools: ToolDefinition[]
  resources: ResourceDefinition[]
  prompts: PromptDefinition[]
  /**
   * Verifies an MRTR `requestState` before the handler runs (the SDK answers -32602 when it throws). Only
   * needed by tools that return a `requestState`; none of the examples does.
   */
  requestState?: ServerOptions['requestState']
}

export const exampleCatalog: Catalog = { tools, resources, prompts }

/**
 * The catalog this process serves: the examples, plus the conformance suite's fixtures when
 * MCP_CONFORMANCE_FIXTURES=1 (never in production: the configuration refuses it). The fixtures are imported
 * only then, so a normal start neither loads nor lists them.
 */
export async function loadCatalog(config: Pick<Config, 'conformanceFixtures'>): Promise<Catalog> {
  if (!config.conformanceFixtures) return exampleCatalog
  const { fixtures } = await import('./conformance/index.js')
  return {
    tools: [...tools, ...fixtures.tools],
    resources: [...resources, ...fixtures.resources],
    prompts: [...prompts, ...fixtures.prompts],
    requestState: fixtures.requestState,
  }
}

/**
 * The tools with a parameter mirrored in an `Mcp-Param-*` header (an `x-mcp-header` on a top-level property of
 * their input schema, SEP-2243): on MCP 2026-07-28 their calls must carry the header, which the SDK checks.
 */
export function toolsWithParamHeaders(catalog: Catalog): ReadonlySet<string> {
  return new Set(catalog.tools.filter(mirrorsParamHeader).map((tool) => tool.name))
}

/** The names allow-lists use (`tools=`, `prompts=`, `resources=`), checked against every key at start-up. */
export const catalogNames: CatalogNames = {
  tools: tools.map((tool) => tool.name),
  prompts: prompts.map((prompt) => prompt.name),
  resources: resources.map((resource) => resource.uri),
}
