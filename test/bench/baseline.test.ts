import t from 'tap'
import { buildBaseline } from '../../bench/baseline.js'

// Building a real baseline takes minutes (npm ci and tsc of a whole commit): `npm run bench` does it. What a
// test can check quickly is that a revision that is no commit is refused before anything is written.
t.test('a baseline revision that names no commit is refused with a readable reason', async (t) => {
  const lines: string[] = []
  await t.rejects(buildBaseline('no-such-revision-0000', (line) => lines.push(line)), { message: 'baseline no-such-revision-0000 is not a commit of this repository' })
  t.same(lines, [], 'nothing was built')
})
