// The container image: an ECR repository (scanned on push, immutable tags, old images expired) and the image
// built from the repository root's Dockerfile and pushed there on `pulumi up`, tagged with the hash of its build
// inputs (./image-tag.ts) so that every changed build gets a new tag and an unchanged one is not pushed again.
//
// Old images stay in the repository: the previous task definition names one by digest, and a rollback (the
// circuit breaker's or a manual one), a scale-out or a Spot replacement of that revision pulls it. docker-build
// deletes what it pushed when its Image resource is deleted ("When a `Image` is deleted, it will attempt to also
// delete any pushed tags … Use the `retainOnDelete: true` option if you do not want tags deleted", docker-build
// `Image` docs), and awsx's `ecr.Image` names that resource after the tag (pulumi-awsx awsx/ecr/image.ts:
// `new docker.Image(imageName, …)` with `imageName = imageTag`), so each new tag deleted the previous image.
// Here the Image resource has one name whatever the tag (a new tag updates it in place) and is retained on
// delete; the lifecycle policy is what expires old images.
import * as path from 'node:path'
import * as aws from '@pulumi/aws'
import * as dockerBuild from '@pulumi/docker-build'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { contentTag } from './image-tag'

const REPOSITORY_ROOT = path.join(__dirname, '..')
/** Images kept in the repository: the ones a rollback can still reach. */
export const KEEP_IMAGES = 20

export class ContainerImage extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository
  readonly imageUri: pulumi.Output<string>

  constructor(name: string, config: InfraConfig, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:ContainerImage', name, {}, opts)
    const child = { parent: this }
    this.repository = new aws.ecr.Repository(name, {
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      forceDelete: true,
    }, child)
    new aws.ecr.LifecyclePolicy(name, {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [{ rulePriority: 1, description: `keep the last ${KEEP_IMAGES} images`, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: KEEP_IMAGES }, action: { type: 'expire' } }],
      }),
    }, child)
    const dockerfile = path.join(REPOSITORY_ROOT, 'Dockerfile')
    const platform = config.cpuArchitecture === 'ARM64' ? 'linux/arm64' : 'linux/amd64'
    const tagged = pulumi.interpolate`${this.repository.repositoryUrl}:${contentTag(REPOSITORY_ROOT, dockerfile, platform)}`
    // ECR's registry credentials, as awsx's ecr.Image gets them (awsx/ecr/auth.ts).
    const token = aws.ecr.getAuthorizationTokenOutput({ registryId: this.repository.registryId }, child)
    const image = new dockerBuild.Image(name, {
      tags: [tagged],
      context: { location: REPOSITORY_ROOT },
      dockerfile: { location: dockerfile },
      platforms: [platform],
      push: true,
      cacheFrom: [{ registry: { ref: tagged } }],
      cacheTo: [{ inline: {} }],
      registries: [{ address: token.proxyEndpoint, username: token.userName, password: token.password }],
    }, { ...child, retainOnDelete: true })
    this.imageUri = pulumi.interpolate`${this.repository.repositoryUrl}@${image.digest}`
    this.registerOutputs({ imageUri: this.imageUri })
  }
}
