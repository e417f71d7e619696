// A stack in a region opened after August 2022 (Malaysia, ap-southeast-5), which has no ELB account: the access
// log bucket admits ELB's log delivery service instead (infra/access-logs.ts), and nothing else changes.
import t from 'tap'
import infraAccessLogs from '../../infra/access-logs.js'
import { devStackConfig, runProgram } from './program.js'

const { ELB_ACCOUNT_REGIONS, LOG_DELIVERY_PRINCIPAL } = infraAccessLogs
const REGION = 'ap-southeast-5'

const run = await runProgram({ ...devStackConfig(), 'aws:region': REGION })

t.test('access logs in a region without an ELB account are written by the log delivery service principal', async (t) => {
  t.notOk(ELB_ACCOUNT_REGIONS.includes(REGION))
  const bucket = run.one('aws:s3/bucket:Bucket')
  const policy = JSON.parse(run.one('aws:s3/bucketPolicy:BucketPolicy').inputs.policy)
  t.same(policy.Statement, [{ Effect: 'Allow', Principal: { Service: LOG_DELIVERY_PRINCIPAL }, Action: 's3:PutObject', Resource: `${bucket.state.arn}/alb/AWSLogs/*` }], 'one statement, the service principal only')
  t.match(run.one('aws:lb/loadBalancer:LoadBalancer').inputs.accessLogs, { enabled: true, bucket: bucket.state.bucket, prefix: 'alb' })
})
