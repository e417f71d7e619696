// `devOnlyPlainHttp: true`: the explicit dev-only opt-in to a public ALB on plain HTTP, and nothing else does it.
import t from 'tap'
import { runProgram } from './program.js'

const run = await runProgram({ devOnlyPlainHttp: 'true', accessLogsEnabled: 'false' })

t.test('a public ALB serves plain HTTP, without CloudFront, and the URL says http://', async (t) => {
  t.match(run.one('aws:lb/loadBalancer:LoadBalancer').inputs, { internal: false })
  t.same(run.ofType('aws:lb/listener:Listener').map((listener) => [listener.inputs.port, listener.inputs.protocol]), [[80, 'HTTP']])
  t.equal(run.ofType('aws:cloudfront/distribution:Distribution').length, 0)
  t.equal(run.outputs.url, 'http://mcp-1.us-east-1.elb.amazonaws.com')
})

t.test('access logs can be turned off: no bucket, no logging', async (t) => {
  t.equal(run.ofType('aws:s3/bucket:Bucket').length, 0)
  t.notOk(run.one('aws:lb/loadBalancer:LoadBalancer').inputs.accessLogs)
})
