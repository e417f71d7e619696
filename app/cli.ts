import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { ConfigError, DEFAULT_DRAIN_MS, EnvSchema, loadConfig, type Config } from './config.js'
import { catalogNames } from './mcp/catalog.js'

/** sysexits.h EX_CONFIG: what ECS, systemd and a person at a terminal all read as "fix the configuration". */
export const EXIT_CONFIG = 78

export interface Invocation {
  stdio: boolean
  help: boolean
  /** One line per unknown or malformed option, reported with the configuration's problems. */
  problems: string[]
}

/** The command line: `--stdio`, `--help` (`-h`); anything else is a problem, never silently ignored. */
export function readArguments(argv: string[]): Invocation {
  const problems: string[] = []
  const { values, tokens } = parseArgs({ args: argv, options: { stdio: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true })
  for (const token of tokens) {
    if (token.kind === 'positional') problems.push(`command line: unexpected argument "${token.value}" (options: --stdio, --help)`)
    else if (token.kind === 'option' && !['stdio', 'help'].includes(token.name)) problems.push(`command line: unknown option ${token.rawName} (options: --stdio, --help)`)
    else if (token.kind === 'option' && token.value !== undefined) problems.push(`command line: ${token.rawName} takes no value`)
  }
  return { stdio: values.stdio === true, help: values.help === true, problems }
}

function defaultOf(name: keyof typeof EnvSchema.shape): string {
  if (name === 'MCP_DRAIN_MS') return `${DEFAULT_DRAIN_MS.production} in production, ${DEFAULT_DRAIN_MS.development} otherwise`
  const parsed = EnvSchema.shape[name].safeParse(undefined)
  const value = parsed.success ? parsed.data : undefined
  if (value === undefined) return '(not set)'
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : value.join(',')
  return value === '' ? '(empty)' : String(value)
}

/** `--help`: how to run it and every setting with its default, read from the schema itself. */
export function helpText(): string {
  const names = Object.keys(EnvSchema.shape) as (keyof typeof EnvSchema.shape)[]
  const width = Math.max(...names.map((name) => name.length))
  return [
    'mcp-fargate-server: an MCP server (legacy SSE on /sse, Streamable HTTP and MCP 2026-07-28 on /mcp)',
    '',
    'Usage: npm start [-- --stdio]     or     node dist/app/main.js [--stdio] [--help]',
    '',
    '  --stdio     serve the catalog as one local session on stdin/stdout (no HTTP, no API key)',
    '  --help, -h  print this and exit',
    '',
    'Settings come from the environment only (docs/configuration.md explains each one):',
    '',
    ...names.map((name) => `  ${name.padEnd(width)}  ${defaultOf(name)}`),
    '',
    `A bad setting stops the start with one line per problem naming it, exit code ${EXIT_CONFIG}.`,
    '',
  ].join('\n')
}

/** Every start-up problem on stderr, one line each, then exit 78. */
export function exitWithProblems(problems: string[]): never {
  process.stderr.write(`${new ConfigError(problems).message}\n`)
  process.exit(EXIT_CONFIG)
}

/** The validated configuration, or every problem of the command line and the environment at once. */
export function configOrExit(invocation: Invocation, env: NodeJS.ProcessEnv): Config {
  try {
    const config = loadConfig(env, { catalog: catalogNames, needsKeys: !invocation.stdio })
    if (invocation.problems.length > 0) exitWithProblems(invocation.problems)
    return config
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    exitWithProblems([...invocation.problems, ...error.problems])
  }
}

/**
 * Listens on PORT (and, through the server's onReady hook, MCP_PEER_PORT); a port that cannot be bound is a
 * configuration problem naming its setting, not a stack trace.
 */
export async function listenOrExit(app: FastifyInstance, config: Config): Promise<void> {
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    const { code, port } = error as NodeJS.ErrnoException & { port?: number }
    if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw error
    const setting = port === config.peerPort && port !== config.port ? 'MCP_PEER_PORT' : 'PORT'
    const reason = { EADDRINUSE: 'is already in use', EACCES: 'needs privileges this process does not have', EADDRNOTAVAIL: 'cannot be bound: HOST is not an address of this machine' }[code]
    await app.close().catch(() => undefined)
    exitWithProblems([`${setting}: port ${port ?? config.port} ${reason} (HOST ${config.host})`])
  }
}

const INSPECTOR = 'npx @modelcontextprotocol/inspector@2.12.0'

/**
 * Printed once, on the terminal only (never through the logger): the development key and ready-to-paste
 * commands, a tool call over /mcp first. A generated key says how to keep it across restarts.
 */
export function developmentBanner(config: Config, secret: string, generated: boolean): string {
  const url = config.publicUrl ?? `http://localhost:${config.port}${config.basePath}`
  const auth = `--header "Authorization: Bearer ${secret}"`
  return [
    '',
    generated
      ? 'No MCP_API_KEYS configured: a development key (principal "dev") for this run; to keep it across restarts, start with MCP_DEV_KEY=<the key below>.'
      : 'No MCP_API_KEYS configured: the development key from MCP_DEV_KEY (principal "dev").',
    `  server:  ${url}/mcp  (Streamable HTTP, MCP 2026-07-28)   ${url}/sse  (legacy SSE)`,
    `  key:     ${secret}`,
    '  Call a tool over /mcp (Inspector CLI):',
    `    ${INSPECTOR} --cli ${url}/mcp --transport http ${auth} --method tools/call --tool-name whoami`,
    '  List the tools over legacy SSE (Inspector CLI):',
    `    ${INSPECTOR} --cli ${url}/sse --transport sse ${auth} --method tools/list`,
    '  Inspector UI:',
    `    ${INSPECTOR} --transport sse --server-url ${url}/sse ${auth}`,
    '',
  ].join('\n')
}
