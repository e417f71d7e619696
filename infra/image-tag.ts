// The image tag: a hash of exactly what the build reads, so that it changes when and only when the image can.
// The ECR repository's tags are immutable; a tag that stays the same across a code change makes the push of the
// second deploy fail ("tag already exists … immutable"), and one that changes on every run would push a new
// image (and roll every task) on each `pulumi up` for nothing.
//
// The build reads the Dockerfile and the build context as Docker sends it: the files `.dockerignore` leaves in,
// matched with Docker's own rules (@balena/dockerignore, a port of Docker's Go implementation), each with its
// content and its full permission bits. docker-build decides whether to rebuild from a hash of the context that
// covers each file's mode, not only its executable bit; a tag that ignored the rest would stay the same for a
// file that is 0644 in one checkout and 0664 in another (umask 022 in CI, 002 on a laptop), so the same commit
// deployed from both would rebuild and push a different image to an existing tag of the immutable repository.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import dockerignore from '@balena/dockerignore'

const TAG_HEX_LENGTH = 24
/** Permission bits with setuid, setgid and sticky: everything of a file's mode but its type. */
const PERMISSION_BITS = 0o7777

/** `ctx-<hex>`: the hash of the Dockerfile, the target platform and every file of the build context. */
export function contentTag(contextDir: string, dockerfile: string, platform: string): string {
  const hash = createHash('sha256')
  const entry = (name: string, bytes: Buffer | string) => hash.update(`${name}\0${bytes.length}\0`).update(bytes)
  entry('platform', platform)
  entry('Dockerfile', readFileSync(dockerfile))
  for (const file of contextFiles(contextDir)) {
    const stat = statSync(join(contextDir, file))
    entry(`${file}:${(stat.mode & PERMISSION_BITS).toString(8)}`, readFileSync(join(contextDir, file)))
  }
  return `ctx-${hash.digest('hex').slice(0, TAG_HEX_LENGTH)}`
}

/** The build context's files (relative, `/`-separated, sorted), as `.dockerignore` leaves them. */
export function contextFiles(contextDir: string): string[] {
  const patterns = readIgnoreFile(join(contextDir, '.dockerignore'))
  const ignored = dockerignore({ ignorecase: false }).add(patterns)
  // A directory is skipped whole only when it is ignored and no exception (`!pattern`) reaches inside it:
  // Docker lets `!app/` bring a directory back after `*`, so such a directory is walked.
  const exceptions = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1).replace(/^\//, ''))
  const reachable = (dir: string) => !ignored.ignores(dir) || exceptions.some((pattern) => pattern.startsWith(`${dir}/`) || pattern === dir)
  const files: string[] = []
  const walk = (dir: string) => {
    for (const item of readdirSync(join(contextDir, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${item.name}` : item.name
      if (item.isDirectory()) {
        if (reachable(path)) walk(path)
      } else if (!ignored.ignores(path)) {
        files.push(path)
      }
    }
  }
  walk('')
  return files.sort()
}

function readIgnoreFile(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'))
  } catch {
    return []
  }
}

