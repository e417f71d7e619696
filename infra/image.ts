// The container image: an ECR repository (scanned on push, immutable tags, old images expired) and the image
// built from the repository root's Dockerfile and pushed there on `pulumi up`, tagged with the hash of its build
// inputs (./image-tag.ts) so that every changed build gets a new tag and an unchanged one is not pushed again.
import * as path from 'node:path'
import * as aws from '@pulumi/aws'
import * as awsx from '@pulumi/awsx'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { contentTag } from './image-tag'

const REPOSITORY_ROOT = path.join(__dirname, '..')
const KEEP_IMAGES = 20

export class ContainerImage extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository
  readonly imageUri: pulumi.Output<string>

  constructor(name: string, config: InfraConfig, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:ContainerImage', name, {}, opts)
    this.repository = new aws.ecr.Repository(name, {
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      forceDelete: true,
    }, { parent: this })
    new aws.ecr.LifecyclePolicy(name, {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [{ rulePriority: 1, description: `keep the last ${KEEP_IMAGES} images`, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: KEEP_IMAGES }, action: { type: 'expire' } }],
      }),
    }, { parent: this })
    const dockerfile = path.join(REPOSITORY_ROOT, 'Dockerfile')
    const platform = config.cpuArchitecture === 'ARM64' ? 'linux/arm64' : 'linux/amd64'
    const image = new awsx.ecr.Image(name, {
      repositoryUrl: this.repository.repositoryUrl,
      context: REPOSITORY_ROOT,
      dockerfile,
      platform,
      imageTag: contentTag(REPOSITORY_ROOT, dockerfile, platform),
    }, { parent: this })
    this.imageUri = image.imageUri
    this.registerOutputs({ imageUri: this.imageUri })
  }
}
