import t from 'tap'
import { HttpError } from '../../app/http/errors.js'
import { RELAY_WINDOW_MS, RelayVerifier, bodyDigest, signRelay } from '../../app/sessions/relay.js'

const SECRET = 'relay-verifier-secret-0123456789abcdef'
const request = { method: 'POST', url: '/mcp', sessionId: 'v1.a.b.c', headers: 'accept:application/json' }
const sign = (now: number) => signRelay(SECRET, 'team.carol', { ...request, bodyDigest: bodyDigest('{}') }, now)

t.test('nonces are remembered for one window only, and never more than the cap', async (t) => {
  const verifier = new RelayVerifier(SECRET, 2)
  const start = 1_000_000
  const first = sign(start)
  t.match(verifier.verify(first, request, start), { principal: 'team.carol', bodyDigest: bodyDigest('{}') }, 'a dotted principal comes back whole')
  t.equal(verifier.verify(first, request, start + 1), undefined, 'the same signature again: refused')
  t.ok(verifier.verify(sign(start + 1), request, start + 1), 'a second signature fills the store')
  const refused = (() => {
    try {
      return verifier.verify(sign(start + 2), request, start + 2)
    } catch (error) {
      return error
    }
  })()
  t.ok(refused instanceof HttpError && refused.statusCode === 503 && refused.headers['retry-after'] === '1', 'a third within the window: 503, nothing forgotten early')
  const later = start + RELAY_WINDOW_MS + 2
  t.ok(verifier.verify(sign(later), request, later), 'once the window has passed, the expired nonces make room')
  t.equal(verifier.verify(first, request, later), undefined, 'and the first signature is stale by then')
})
