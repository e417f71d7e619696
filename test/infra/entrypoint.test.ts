// `pulumi up` must run infra/index.ts: Pulumi.yaml's `main: infra/` makes infra/ the program's working
// directory, infra/package.json makes it CommonJS with index.ts as entry (not the app's dist/app/main.js),
// and Pulumi compiles it with its own ts-node. This runs that loading path (see load-like-pulumi.cjs).
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'
import { parse } from 'yaml'

const root = new URL('../../', import.meta.url)

t.test('Pulumi.yaml runs the TypeScript program in infra/ on the nodejs runtime', async (t) => {
  const project = parse(readFileSync(new URL('Pulumi.yaml', root), 'utf8'))
  t.match(project, { name: 'mcp-fargate', runtime: { name: 'nodejs', options: { typescript: true } }, main: 'infra/' })
  t.match(JSON.parse(readFileSync(new URL('infra/package.json', root), 'utf8')), { type: 'commonjs', main: 'index.ts' })
})

t.test('Pulumi\'s TypeScript loader runs infra/index.ts and sees the stack outputs', async (t) => {
  const script = new URL('load-like-pulumi.cjs', import.meta.url).pathname
  const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: new URL('infra/', root).pathname, timeout: 120_000 })
  const outputs = JSON.parse(stdout) as string[]
  for (const name of ['url', 'apiKeysSecretArn', 'logGroupName', 'inspectorCommand', 'inspectorUiCommand', 'dashboardUrl']) t.ok(outputs.includes(name), name)
})
