import { mkdir, mkdtemp, realpath, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ALICE, TRANSPORTS, connect, startServer } from '../helpers/server.js'
import { resultText } from './helpers.js'

const SECRET = 'TOP-SECRET-OUTSIDE-THE-SANDBOX'
const MAX_BYTES = 1024

/** base/root is the sandbox; base/outside holds what must never be read through it. */
async function makeSandbox(t: { teardown(fn: () => unknown): void }) {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'read-file-')))
  t.teardown(() => rm(base, { recursive: true, force: true }))
  const root = join(base, 'root')
  await mkdir(join(root, 'sub'), { recursive: true })
  await mkdir(join(base, 'outside'))
  await writeFile(join(base, 'outside', 'secret.txt'), SECRET)
  await writeFile(join(root, 'hello.txt'), 'hello from the sandbox')
  await writeFile(join(root, 'sub', 'nested.txt'), 'nested file')
  await writeFile(join(root, 'big.txt'), 'x'.repeat(MAX_BYTES + 1))
  await writeFile(join(root, 'huge.bin'), '')
  await truncate(join(root, 'huge.bin'), 5 * 1024 ** 3) // sparse: 5 GiB that take no disk
  await writeFile(join(root, 'binary.bin'), Buffer.from([0xff, 0xfe, 0x00, 0xc3]))
  await symlink('hello.txt', join(root, 'link-inside'))
  await symlink(join(base, 'outside', 'secret.txt'), join(root, 'link-outside'))
  await symlink('../outside', join(root, 'dir-link-outside'))
  return { base, root }
}

for (const transport of TRANSPORTS) {
  t.test(`read_file over ${transport}: reads text files inside the sandbox`, async (t) => {
    const { root } = await makeSandbox(t)
    const server = await startServer(t, { MCP_FILES_ROOT: root, MCP_FILES_MAX_BYTES: String(MAX_BYTES) })
    const client = await connect(t, server.url, ALICE, transport)
    const read = async (path: string) => client.callTool({ name: 'read_file', arguments: { path } })
    t.equal(resultText(await read('hello.txt')), 'hello from the sandbox')
    t.equal(resultText(await read('sub/nested.txt')), 'nested file')
    t.equal(resultText(await read('./sub/nested.txt')), 'nested file')
    t.equal(resultText(await read('link-inside')), 'hello from the sandbox', 'a symlink that stays inside is followed')
  })

  t.test(`read_file over ${transport}: the traversal battery is refused without revealing outside paths`, async (t) => {
    const { base, root } = await makeSandbox(t)
    const server = await startServer(t, { MCP_FILES_ROOT: root, MCP_FILES_MAX_BYTES: String(MAX_BYTES) })
    const client = await connect(t, server.url, ALICE, transport)
    const attempts: [string, RegExp][] = [
      ['../outside/secret.txt', /Refused/],
      ['sub/../../outside/secret.txt', /Refused/],
      ['sub/../hello.txt', /Refused/], // any ".." is refused, even one that would land inside
      ['..\\outside\\secret.txt', /Refused/],
      ['%2e%2e/outside/secret.txt', /No such file/],
      ['%2e%2e%2foutside%2fsecret.txt', /No such file/],
      ['..%2Foutside%2Fsecret.txt', /No such file/],
      ['%252e%252e%252foutside%252fsecret.txt', /No such file/],
      ['....//outside/secret.txt', /No such file/],
      ['\uff0e\uff0e/outside/secret.txt', /No such file/],
      [join(base, 'outside', 'secret.txt'), /Refused/],
      ['/etc/passwd', /Refused/],
      ['C:\\Windows\\win.ini', /Refused/],
      ['file:///etc/passwd', /No such file/],
      ['hello.txt\0../../outside/secret.txt', /Refused/],
      ['link-outside', /Refused/],
      ['dir-link-outside/secret.txt', /Refused/],
      ['.', /directory/],
      ['sub', /directory/],
      ['big.txt', new RegExp(`${MAX_BYTES + 1} bytes; this server reads at most ${MAX_BYTES}`)],
      ['huge.bin', /reads at most/],
      ['binary.bin', /not UTF-8 text/],
      ['missing.txt', /No such file/],
    ]
    for (const [path, says] of attempts) {
      const result = await client.callTool({ name: 'read_file', arguments: { path } })
      const text = resultText(result)
      t.equal(result.isError, true, `${JSON.stringify(path)} is refused`)
      t.match(text, says, `${JSON.stringify(path)}: ${text}`)
      t.notOk(text.includes(SECRET), 'the outside file is never returned')
      t.notOk(text.includes(base) || text.includes('/etc') || text.includes('outside'), 'no path outside the root is named')
    }
    t.notOk(server.logs.text.includes(base), 'logs name no real path either')
  })

  t.test(`read_file over ${transport}: a missing sandbox root is a clear error`, async (t) => {
    const { base } = await makeSandbox(t)
    const server = await startServer(t, { MCP_FILES_ROOT: join(base, 'not-there') })
    const client = await connect(t, server.url, ALICE, transport)
    const result = await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } })
    t.equal(result.isError, true)
    t.match(resultText(result), /sandbox is not set up.*MCP_FILES_ROOT/)
    t.notOk(resultText(result).includes(base))
  })
}
