import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import ts from 'typescript'

const ROOT = new URL('../../', import.meta.url).pathname

/** The type errors of one tool file, compiled with the project's own compiler options. */
function typeErrors(source: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tool-types-'))
  try {
    // The tool's own imports (zod) resolve as they would in app/mcp/tools/.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
    const file = join(dir, 'tool.ts')
    writeFileSync(file, source.replaceAll('DEFINE', join(ROOT, 'app/mcp/define.js')))
    const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile)
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT)
    const program = ts.createProgram([file], { ...options, noEmit: true, typeRoots: [join(ROOT, 'node_modules/@types')] })
    return ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file?.fileName === file)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const tool = (run: string) => `import { defineTool, toolJson } from 'DEFINE'
export default defineTool({ name: 'example', description: 'An example tool for the type check.', inputSchema: {}, ${run} })
void toolJson
`

t.test('a tool returning the wrong thing reads as "not assignable to ToolResult", not the SDK schema', async (t) => {
  t.same(typeErrors(tool('async run() { return toolJson({ sum: 3 }) }')), [], 'a correct tool compiles')
  const [error, ...more] = typeErrors(tool('async run() { return { sum: 3 } }'))
  t.same(more, [], 'one error')
  t.match(error, /is not assignable to type 'ToolResult \| InputRequired'/, 'names what a tool returns')
  t.notMatch(error, /annotations\?|audience|_meta/, 'without the SDK result schema spelled out')
  t.ok(error.split('\n').length <= 5, `short (${error.split('\n').length} lines)`)
})

t.test('the example tool of README.md and docs/tools.md compiles as written', async (t) => {
  for (const page of ['README.md', 'docs/tools.md']) {
    const block = [...readFileSync(join(ROOT, page), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map(([, code]) => code).find((code) => code.includes('defineTool({'))
    t.ok(block, `${page} shows a complete tool file`)
    if (!block) continue
    t.match(block, /^import \{ defineTool/m, `${page}: with its imports`)
    t.same(typeErrors(block.replace("'../define.js'", "'DEFINE'")), [], `${page}: no type error`)
  }
})
