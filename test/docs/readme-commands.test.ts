import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { expect } from 'vitest';
import { test as base } from '../harness/fixtures.ts';
import { jpegImage } from '../harness/images.ts';
import { REPO_ROOT } from '../harness/processes.ts';

// The README's commands, run as written: every fenced block whose info string is `sh runnable`,
// in order, as one bash script (so a variable set in one block is there in the next), against a
// started platform. The only change is the address: the README's http://localhost:8787 becomes
// the test platform's. The script runs in a directory laid out as the repository root is after
// `npm ci && npm start`: a dev key in .data/dev-api-key, node_modules (for `npx kontext`), and a
// photo.jpg of the reader's own, here generated.

const run = promisify(execFile);
const README_ADDRESS = 'http://localhost:8787';
const RUNNABLE_BLOCK = /^```sh runnable\n([\s\S]*?)^```$/gm;

const test = base.extend('platformOptions', { scope: 'file' }, { workerLoops: 2, transport: 'socket' as const });

function runnableBlocks(markdown: string): string[] {
  return [...markdown.matchAll(RUNNABLE_BLOCK)].map((match) => match[1] ?? '');
}

test('finds the runnable blocks, and only those marked', () => {
  const blocks = runnableBlocks('```sh runnable\necho one\n```\n\n```sh\necho not this\n```\n```sh runnable\necho two\n```\n');
  expect(blocks).toEqual(['echo one\n', 'echo two\n']);
});

test("the README's runnable commands work as written", { timeout: 240_000 }, async ({ platform, tenant }) => {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = runnableBlocks(readme);
  // The quick start's CLI, the form upload, the JSON upload with polling and the continued edit.
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  // Sample answers are comments; a command itself holds no placeholder for the reader to fill in.
  const commands = blocks.flatMap((block) => block.split('\n')).filter((line) => !line.trimStart().startsWith('#'));
  for (const line of commands) expect(line, 'a runnable command holds a placeholder').not.toMatch(/…|<[a-z ._-]+>/);

  const root = await mkdtemp(join(tmpdir(), 'kontext-readme-'));
  try {
    await mkdir(join(root, '.data'));
    await writeFile(join(root, '.data', 'dev-api-key'), `${tenant.key}\n`);
    await writeFile(join(root, 'photo.jpg'), await jpegImage({ width: 900, height: 600, seed: 12 }));
    await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
    await mkdir(join(root, 'config'));

    const script = ['set -euo pipefail', ...blocks].join('\n').replaceAll(README_ADDRESS, platform.url);
    const { stdout } = await run('bash', ['-c', script], {
      cwd: root,
      timeout: 200_000,
      maxBuffer: 16 * 1024 * 1024,
      // Nothing of the machine's own CLI configuration or key is used: only what the blocks set.
      env: { PATH: process.env.PATH ?? '', HOME: root, XDG_CONFIG_HOME: join(root, 'config'), npm_config_yes: 'false', NO_COLOR: '1' },
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`the README's commands failed: ${error.message}\n--- stdout\n${error.stdout ?? ''}\n--- stderr\n${error.stderr ?? ''}`);
    });

    // The form submit printed its answer; the polled job is Ready; its image was downloaded.
    expect(stdout).toMatch(/"polling_url":"http:\/\/[^"]+\/v1\/get_result\?id=job_/);
    const result = JSON.parse(await readFile(join(root, 'result.json'), 'utf8')) as { status: string; details: { width: number; height: number } };
    expect(result.status).toBe('Ready');
    expect(await sharp(await readFile(join(root, 'night.png'))).metadata()).toMatchObject({
      format: 'png',
      width: result.details.width,
      height: result.details.height,
    });
    // The stream of a finished job ends after its terminal status.
    expect(stdout).toContain('event: status');
    // The CLI's edits landed beside it, and its lineage drew the branch.
    for (const file of ['sunglasses.png', 'snow.png']) expect((await sharp(await readFile(join(root, file))).metadata()).format).toBe('png');
    expect(stdout).toMatch(/├── job_/);
    expect(stdout).toMatch(/└── job_/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
