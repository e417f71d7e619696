// ARM64 tasks with Fargate Spot above the on-demand base: a stack that differs from the default in its image's
// platform, so its image tag differs too, which shows the image resource keeping its name across tags.
import { join } from 'node:path'
import t from 'tap'
import imageTag from '../../infra/image-tag.js'
import { devStackConfig, runProgram } from './program.js'

const { contentTag } = imageTag
const ROOT = new URL('../../', import.meta.url).pathname

const run = await runProgram({ ...devStackConfig(), cpuArchitecture: 'ARM64', fargateSpotWeight: '2' })

t.test('ARM64 tasks run on on-demand Fargate and Fargate Spot ("FARGATE_SPOT supports Linux tasks with the ARM64 architecture on platform version 1.4.0 or later")', async (t) => {
  t.match(run.one('aws:ecs/taskDefinition:TaskDefinition').inputs.runtimePlatform, { operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' })
  t.same(run.one('aws:ecs/service:Service').inputs.capacityProviderStrategies, [{ capacityProvider: 'FARGATE', base: 2, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 2 }])
})

t.test('another tag, the same image resource: switching stacks between tags updates it, never deletes the pushed image', async (t) => {
  const image = run.one('docker-build:index:Image')
  t.same(image.inputs.platforms, ['linux/arm64'])
  const defaultTag = contentTag(ROOT, join(ROOT, 'Dockerfile'), 'linux/amd64')
  const [tag] = image.inputs.tags as string[]
  t.notMatch(tag, defaultTag, 'the ARM64 build has its own tag')
  t.match(tag, /:ctx-[0-9a-f]{24}$/)
  t.equal(image.name, 'mcp', 'and the same resource name as the default stack\'s (declared.test.ts)')
  t.equal(image.options.retainOnDelete, true)
})
