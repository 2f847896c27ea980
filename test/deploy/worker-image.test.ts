import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DockerIgnoreStrategy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/processes.ts';

// No Docker engine runs here, so the worker images are checked by what they are made of: the
// build context (.dockerignore), the Dockerfile's stages, and the build stage's own command, run
// as written. The bundle it produces is what test/e2e/cloud.test.ts starts as the worker.

const run = promisify(execFile);
const dockerfile = readFileSync(join(REPO_ROOT, 'gpu-worker/Dockerfile'), 'utf8');
const ignorePatterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
// The matcher the CDK app uses when it stages the context.
const ignore = new DockerIgnoreStrategy(REPO_ROOT, ignorePatterns);
const ignored = (path: string) => ignore.ignores(join(REPO_ROOT, path));

interface Stage {
  name: string;
  base: string;
  lines: string[];
}

function stages(): Stage[] {
  const result: Stage[] = [];
  // Continuation lines belong to their instruction.
  const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) result.push({ base: from[1]!, name: from[2] ?? '', lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

describe('the build context', () => {
  it('never includes model weights, wherever they are', () => {
    for (const path of ['flux1-kontext-dev.safetensors', 'models/flux-kontext-dev/transformer/diffusion_pytorch_model-00001-of-00003.safetensors',
      'gpu-worker/engine/weights.pt', 'gpu-worker/engine/checkpoint.ckpt', 'some/dir/model.gguf', 'weights/vae.bin', 'models/model_index.json']) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('leaves out installed and generated trees, and keeps every source the stages copy', () => {
    for (const path of ['node_modules/sharp/package.json', 'packages/core/node_modules/x.js', '.git/HEAD', '.venv-engine/bin/python', '.venv-test/bin/moto_server',
      'cdk.out/manifest.json', '.build/lambda/api/index.mjs', 'gpu-worker/engine/kontext_engine/__pycache__/server.cpython-311.pyc']) {
      expect(ignored(path), path).toBe(true);
    }
    for (const path of ['package.json', 'package-lock.json', 'gpu-worker/src/main.ts', 'infra/bin/bundle-worker.ts', 'infra/src/lambda-bundles.ts',
      'packages/db/migrations/0000_foundation.sql', 'packages/services/src/models/list-models.ts', 'gpu-worker/engine/requirements.txt']) {
      expect(ignored(path), path).toBe(false);
    }
  });
});

describe('the Dockerfile', () => {
  const all = stages();
  const stage = (name: string) => all.find((s) => s.name === name)!;

  it('has the two targets the CDK app builds, each running the bundled worker as a non-root user with a health check', () => {
    for (const target of ['gpu', 'preview']) {
      const { lines } = stage(target);
      expect(lines.some((line) => /^USER\s+(node|kontext)$/.test(line)), target).toBe(true);
      expect(lines.some((line) => line.startsWith('HEALTHCHECK') && line.includes('http://127.0.0.1:8080/health')), target).toBe(true);
      expect(lines.some((line) => line.startsWith('COPY --from=build /out/worker/ /app/')), target).toBe(true);
      expect(lines.at(-1)).toBe('CMD ["node", "--enable-source-maps", "/app/index.mjs"]');
    }
    expect(stage('gpu').lines.join('\n')).toMatch(/ENGINE=kontext/);
    expect(stage('preview').lines.join('\n')).toMatch(/ENGINE=preview/);
  });

  it('copies only paths that exist and are in the context, and never weights', () => {
    for (const { lines } of all) {
      for (const line of lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
        const sources = line.split(/\s+/).slice(1, -1);
        for (const source of sources) {
          if (source === '.') continue;
          expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
          expect(ignored(source), source).toBe(false);
        }
      }
    }
    expect(dockerfile).not.toMatch(/safetensors|huggingface|hf_hub_download|from_pretrained/i);
  });

  it("the build stage's bundling command, run as written, produces the worker the images start", async () => {
    const command = stage('build').lines.find((line) => line.includes('bundle-worker'))!;
    const bundling = /node --import tsx (infra\/bin\/bundle-worker\.ts) \/out/.exec(command);
    expect(bundling).not.toBeNull();
    const out = await mkdtemp(join(tmpdir(), 'kontext-image-out-'));
    try {
      await run(process.execPath, ['--import', 'tsx', bundling![1]!, out], { cwd: REPO_ROOT });
      expect(existsSync(join(out, 'worker', 'index.mjs'))).toBe(true);
      expect(existsSync(join(out, 'worker', 'node_modules', 'sharp', 'package.json'))).toBe(true);
      expect(existsSync(join(out, 'worker', 'node_modules', '@img', 'sharp-linux-x64'))).toBe(true);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
