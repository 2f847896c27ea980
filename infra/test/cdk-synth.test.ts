import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST, REPO_ROOT } from '../src/lambda-bundles.ts';

// The real CLI, as an operator runs it: `cdk synth` from the repository root with no AWS
// credentials or configuration at all (every AWS_* variable removed, HOME an empty directory).
// It bundles the real Lambda code, so it needs the handlers and gpu-worker/Dockerfile, and it
// deploys the built console, which is built here first (as an operator would) when missing: its
// page goes into the API function's bundle, its hashed assets to the console bucket.

const cdkCli = join(dirname(createRequire(import.meta.url).resolve('aws-cdk/package.json')), 'bin', 'cdk');

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'kontext-cdk-synth-'));
  if (!existsSync(join(CONSOLE_DIST, 'index.html'))) {
    await promisify(execFile)('npm', ['run', 'build', '-w', 'packages/console'], { cwd: REPO_ROOT });
  }
}, 180_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function runCdk(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cdkCli, ...args], {
      cwd: REPO_ROOT,
      env: {
        ...environment,
        HOME: join(scratch, 'home'),
        // No network from here: no version check, no telemetry.
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('cdk synth', () => {
  it(
    'synthesizes the stack with no credentials and no cdk.context.json',
    async () => {
      const outdir = join(scratch, 'cdk.out');
      const started = Date.now();
      const { code, output } = await runCdk(['synth', '--quiet', '--no-notices', '--output', outdir]);
      expect(code, output).toBe(0);
      const template = JSON.parse(readFileSync(join(outdir, 'Kontext.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
      expect(Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function').length).toBeGreaterThanOrEqual(4);
      expect(existsSync(join(REPO_ROOT, 'cdk.context.json'))).toBe(false);
      // The real API bundle (buildLambdaBundles' default folder) ships the console's page, not its assets.
      const bundledConsole = join(REPO_ROOT, '.build', 'lambda', 'api', 'console');
      expect(readFileSync(join(bundledConsole, 'index.html'), 'utf8')).toBe(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8'));
      expect(readdirSync(bundledConsole).filter((name) => name === 'assets' || name.startsWith('.'))).toEqual([]);
      expect(readdirSync(join(REPO_ROOT, '.build', 'lambda', 'api')).sort()).toEqual(expect.arrayContaining(['console', 'index.mjs', 'swagger-ui']));
      console.info(`cdk synth took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    240_000,
  );

  it(
    'fails with the message that names a bad context value',
    async () => {
      const { code, output } = await runCdk(['synth', '--quiet', '--no-notices', '--output', join(scratch, 'bad.out'), '-c', 'gpuInstanceType=m7i.xlarge']);
      expect(code).not.toBe(0);
      expect(output).toContain('gpuInstanceType must be an NVIDIA GPU instance type');
    },
    120_000,
  );
});
