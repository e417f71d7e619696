import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import semver from 'semver'
import t from 'tap'
import { EnvSchema } from '../../app/config.js'

const ROOT = new URL('../../', import.meta.url).pathname

/** Files the tool walkthrough asks the reader to write: named in the docs, not in the repository. */
const WRITTEN_BY_THE_READER = new Set(['app/mcp/tools/word-count.ts', 'test/mcp/word-count.test.ts'])

/** Dates that are names: the MCP revisions, and one the server does not serve (the HTTP page's example). */
const PROTOCOL_REVISIONS = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28', '2027-01-01'])

/** Every Markdown file users read: the root pages and everything under docs/. */
function pages(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.md') ? [join(dir, entry.name)] : [],
    )
  const root = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md'].filter((page) => existsSync(join(ROOT, page)))
  return [...root, ...walk('docs')]
}

/** The text outside fenced code blocks: links and headings in examples are not the page's own. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '')
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(page: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const [, heading] of prose(readFileSync(join(ROOT, page), 'utf8')).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    result.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return result
}

function links(page: string): string[] {
  const text = prose(readFileSync(join(ROOT, page), 'utf8')).replace(/`[^`\n]*`/g, '')
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(([, target]) => target)
}

t.test('every relative link of every page reaches a file, and every #anchor a heading of it', async (t) => {
  const problems: string[] = []
  let checked = 0
  for (const page of pages()) {
    for (const target of links(page)) {
      if (/^[a-z]+:/i.test(target)) continue
      checked++
      const [path, anchor] = target.split('#')
      const file = path === '' ? page : relative(ROOT, join(ROOT, dirname(page), decodeURIComponent(path)))
      if (file.startsWith('..')) {
        problems.push(`${page}: ${target}: outside the repository`)
        continue
      }
      if (!existsSync(join(ROOT, file))) {
        problems.push(`${page}: ${target}: no such file`)
        continue
      }
      if (anchor !== undefined && statSync(join(ROOT, file)).isFile() && !anchors(file).has(anchor)) problems.push(`${page}: ${target}: no heading with that anchor`)
    }
  }
  t.ok(checked > 50, `${checked} links checked`)
  t.same(problems, [], 'no broken link or anchor')
})

t.test('every repository path a page names in code (app/, test/, infra/, bench/, scripts/, examples/), and every test file it names, exists', async (t) => {
  const problems: string[] = []
  for (const page of pages().filter((page) => page !== 'CHANGELOG.md')) {
    const text = readFileSync(join(ROOT, page), 'utf8')
    const inCode = [...text.matchAll(/`((?:app|test|infra|bench|scripts|docs|examples)\/[\w./-]+?)[`:#\s]/g)].map(([, path]) => path)
    const testFiles = [...text.matchAll(/\btest\/[\w/.-]+\.test\.ts\b/g)].map(([path]) => path)
    for (const path of new Set([...inCode, ...testFiles])) {
      if (!existsSync(join(ROOT, path)) && !WRITTEN_BY_THE_READER.has(path)) problems.push(`${page}: ${path}`)
    }
  }
  t.same(problems, [], 'every named file is in the repository')
})

t.test('user docs hold no issue numbers, no paths outside the repository, no dated runs', async (t) => {
  for (const page of pages().filter((page) => page !== 'CHANGELOG.md')) {
    const text = readFileSync(join(ROOT, page), 'utf8')
    t.notMatch(text, /\.\.\/shared/, `${page}: no ../shared`)
    t.notMatch(text, /\bissues? #?\d+|(?<![\w&])#\d+\b/i, `${page}: no issue numbers`)
    t.notMatch(text, /this project's machine/i, `${page}: no "this project's machine"`)
    const dates = [...text.matchAll(/\b20\d\d-\d\d-\d\d\b/g)].map(([date]) => date)
    t.same(dates.filter((date) => !PROTOCOL_REVISIONS.has(date)), [], `${page}: no dates but MCP protocol revisions`)
    t.notMatch(text, /\b\d\d-\d\d \d\d:\d\d\b/, `${page}: no run stamps`)
  }
})

t.test('docs/configuration.md documents every setting the server reads, and no other', async (t) => {
  const page = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8')
  for (const name of Object.keys(EnvSchema.shape)) t.match(page, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `${name} has a row`)
  const rows = [...page.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map(([, name]) => name)
  t.same(rows.filter((name) => !(name in EnvSchema.shape)), [], 'every row names a setting the server reads')
})

t.test('README stays short enough to read in ten minutes', async (t) => {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length
  t.ok(lines <= 260, `README.md has ${lines} lines`)
})

/** Where the supported Node.js range is stated for users, in these words (the range itself in backticks). */
const NODE_RANGE_PAGES = ['README.md', 'docs/getting-started.md', 'docs/deploy.md', 'docs/testing.md', 'CONTRIBUTING.md']

t.test('one supported Node.js range: engines, .nvmrc, the image, the CI pin, the docs and every pinned package agree', async (t) => {
  const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'))
  const range: string = json('package.json').engines.node
  t.ok(semver.validRange(range), `engines.node is a range (${range})`)
  const images = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM node:(\d+)-/gm)].map(([, major]) => major)
  t.ok(images.length > 0 && images.every((major) => major === images[0]), `every stage of the image runs one Node major (${images.join(', ')})`)
  const image = images[0]
  t.ok(semver.subset(image, range), `the image's Node ${image} is inside ${range}`)
  t.equal(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim(), image, '.nvmrc selects the image\'s major')
  // What CI installs (.ci/run) is the lock's exact version, not the package.json's.
  const ci: string = json('.ci/node/package-lock.json').packages['node_modules/node'].version
  t.equal(json('.ci/node/package.json').dependencies.node, ci, 'the CI Node is pinned exactly')
  t.ok(semver.satisfies(ci, `${image}.x`), `CI runs Node ${ci}, the image's major`)
  if (process.env.CI === 'true') t.equal(process.versions.node, ci, 'and in CI these tests run on it')
  const packages = Object.entries(json('package-lock.json').packages as Record<string, { engines?: { node?: string } }>)
  const refusing = packages.filter(([path, entry]) => path !== '' && entry.engines?.node && !semver.subset(range, entry.engines.node))
  t.same(refusing.map(([path, entry]) => `${path} (${entry.engines?.node})`), [], `every installed package accepts all of ${range}`)
  for (const page of NODE_RANGE_PAGES) t.match(readFileSync(join(ROOT, page), 'utf8'), `Node.js \`${range}\``, `${page} states the range`)
})
