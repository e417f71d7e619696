// The image tag changes when and only when the build inputs change: on a real copy of the build context.
import { appendFileSync, chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import imageTag from '../../infra/image-tag.js'

const { contentTag, contextFiles } = imageTag
const ROOT = new URL('../../', import.meta.url).pathname

/** A scratch copy of what the context is made of (plus files the .dockerignore must keep out). */
function scratchContext(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'image-tag-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const entry of ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'app', 'README.md', 'test/helpers']) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true })
  return dir
}
const tag = (dir: string, platform = 'linux/amd64') => contentTag(dir, join(dir, 'Dockerfile'), platform)

t.test('the context is what .dockerignore leaves in: the app, the manifests, tsconfig; no tests, docs or secrets', async (t) => {
  const dir = scratchContext(t)
  writeFileSync(join(dir, '.env'), 'SECRET=1')
  const files = contextFiles(dir)
  t.ok(files.includes('app/main.ts') && files.includes('package-lock.json') && files.includes('tsconfig.json'))
  t.same(files.filter((file) => !file.startsWith('app/')), ['package-lock.json', 'package.json', 'tsconfig.json'])
})

t.test('the same inputs give the same tag; a changed source file, Dockerfile or platform a new one', async (t) => {
  const dir = scratchContext(t)
  const first = tag(dir)
  t.match(first, /^ctx-[0-9a-f]{24}$/)
  t.equal(tag(dir), first, 'stable: an unchanged build is not pushed again')
  appendFileSync(join(dir, 'app/main.ts'), '\n// changed\n')
  const changedSource = tag(dir)
  t.not(changedSource, first, 'a source change gets a new tag (the immutable repository accepts the push)')
  appendFileSync(join(dir, 'Dockerfile'), '\n# changed\n')
  t.not(tag(dir), changedSource, 'a Dockerfile change too')
  t.not(tag(dir, 'linux/arm64'), tag(dir), 'and another platform')
  writeFileSync(join(dir, 'app/new-file.ts'), 'export {}\n')
  t.not(tag(dir), changedSource, 'a new source file too')
})

t.test('files the .dockerignore excludes do not change the tag', async (t) => {
  const dir = scratchContext(t)
  const before = tag(dir)
  appendFileSync(join(dir, 'README.md'), '\nmore docs\n')
  appendFileSync(join(dir, 'test/helpers/server.ts'), '\n// a test change\n')
  writeFileSync(join(dir, '.env'), 'SECRET=1')
  writeFileSync(join(dir, 'app/local.pem'), 'key')
  t.equal(tag(dir), before)
})

t.test('a file\'s permission bits change the tag as they change docker-build\'s context hash (0644 in CI, 0664 under umask 002)', async (t) => {
  const dir = scratchContext(t)
  chmodSync(join(dir, 'app/main.ts'), 0o644)
  const ci = tag(dir)
  chmodSync(join(dir, 'app/main.ts'), 0o664)
  const laptop = tag(dir)
  t.not(laptop, ci, 'group write: another build, so another tag (never a second push to an existing immutable tag)')
  chmodSync(join(dir, 'app/main.ts'), 0o755)
  t.not(tag(dir), laptop, 'the executable bit, as before')
  chmodSync(join(dir, 'app/main.ts'), 0o644)
  t.equal(tag(dir), ci, 'the same modes give the same tag again')
})
