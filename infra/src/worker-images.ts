import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';

export interface WorkerImages {
  /** The CUDA image with the Kontext engine. */
  readonly gpu: ecs.ContainerImage;
  /** The node-only image with the CPU preview engine (test-mode keys). */
  readonly preview: ecs.ContainerImage;
}

const DOCKERFILE = 'gpu-worker/Dockerfile';

/**
 * Never part of a build context, whatever .dockerignore says: keeping them out also keeps CDK from
 * hashing and staging gigabytes of them on every synth.
 */
const NEVER_IN_CONTEXT = ['.git', 'cdk.out', '.build', '.data', 'node_modules', '**/node_modules', 'bench-results', '.venv*', '.whl'];

/**
 * The two worker images, built by `cdk deploy` from one Dockerfile (build context: the repository
 * root) with two targets. Synth only hashes and stages the context; Docker is needed at deploy.
 */
export function workerImagesFromRepository(repoRoot: string): WorkerImages {
  const missing = [DOCKERFILE, '.dockerignore'].filter((file) => !existsSync(join(repoRoot, file)));
  if (missing.length > 0) {
    throw new Error(
      `The worker images are built from ${DOCKERFILE} (targets "gpu" and "preview") with the repository root as context; missing: ${missing.join(', ')}`,
    );
  }
  // linux/amd64 whatever the deploying machine is (an arm64 laptop too): every worker host is x86_64.
  const image = (target: 'gpu' | 'preview') =>
    ecs.ContainerImage.fromAsset(repoRoot, { file: DOCKERFILE, target, exclude: NEVER_IN_CONTEXT, platform: Platform.LINUX_AMD64 });
  return { gpu: image('gpu'), preview: image('preview') };
}
