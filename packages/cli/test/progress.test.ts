import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { test } from '../../../test/harness/fixtures.ts';
import { BIN, pngSize, runCli, runInTerminal, scratch, STACK_TRACE, type CliResult, type Scratch } from './run-cli.ts';

// Waiting, as a person sees it: a bar redrawn in a terminal (a pseudo-terminal made by util-linux
// `script`), plain lines in a pipe, and a job canceled while the CLI waits for it. The preview
// engine takes a while per step here, so progress events arrive one by one.

const STEP_DELAY_MS = 150;

test.override({ platformOptions: { workerLoops: 2, stepDelayMs: STEP_DELAY_MS, transport: 'socket' } });

const it = test.extend('home', async ({}, { onCleanup }): Promise<Scratch> => {
  const home = await scratch();
  onCleanup(() => home.remove());
  return home;
});

/** Starts the CLI in the background and resolves once it reports the job running. */
function startUntilRunning(args: string[], options: { env: Record<string, string>; cwd: string }) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  const exited = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, ...output })));
  const running = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString();
      const match = /^(job_[0-9A-Z]{26}) running \d+%$/m.exec(output.stderr);
      if (match) resolve(match[1]!);
    });
    child.once('close', () => reject(new Error(`exited before the job ran:\n${output.stderr}`)));
  });
  return { child, running, exited };
}

function expectExit(result: CliResult, code: number): void {
  if (result.code !== code) throw new Error(`exit ${result.code}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  expect(result.stdout + result.stderr).not.toMatch(STACK_TRACE);
}

describe('progress while waiting', { timeout: 180_000 }, () => {
  it('draws a bar in a terminal and plain lines elsewhere', async ({ platform, tenant, home }) => {
    const env = { ...home.env, KONTEXT_BASE_URL: platform.url, KONTEXT_API_KEY: tenant.key };

    const inTerminal = await runInTerminal(['generate', 'a lighthouse at dusk', '--steps', '8', '-o', 'bar.png'], { env, cwd: home.dir });
    expectExit(inTerminal, 0);
    const screen = inTerminal.stdout;
    // cli-progress's shades_classic bar: filled and empty cells, the percentage, redrawn in place.
    expect(screen).toMatch(/job_[0-9A-Z]{26} [█░]{30} 100% \| succeeded/);
    expect(screen).toContain('░');
    expect(screen).toMatch(/\u001b\[[0-9;]*[GKA]/);
    expect(screen).toMatch(/output:\s+bar\.png/);
    const record = await tenant.api.request<{ width: number; height: number }>('GET', `/v1/jobs/${/job_[0-9A-Z]{26}/.exec(screen)![0]}`);
    expect(pngSize(await readFile(join(home.dir, 'bar.png')))).toEqual({ width: record.body.width, height: record.body.height });

    const inPipe = await runCli(['generate', 'a lighthouse at dusk', '--steps', '8', '-o', 'lines.png'], { env, cwd: home.dir });
    expectExit(inPipe, 0);
    const lines = inPipe.stderr.trimEnd().split('\n');
    const jobId = /submitted (job_[0-9A-Z]{26})/.exec(inPipe.stderr)?.[1];
    expect(jobId).toBeDefined();
    // One plain line per status change and per tenth of the steps, ending with the success.
    expect(lines.every((line) => line.startsWith('submitted ') || new RegExp(`^${jobId} [a-z_]+ \\d{1,3}%$`).test(line))).toBe(true);
    expect(lines.some((line) => / running \d+%$/.test(line))).toBe(true);
    expect(lines.at(-1)).toBe(`${jobId} succeeded 100%`);
    expect(inPipe.stderr).not.toMatch(/[█░]|\u001b\[/);
    // Stdout holds only the result.
    expect(inPipe.stdout).toMatch(/^job:\s+job_/);
    expect(inPipe.stdout).not.toMatch(/%/);
  });

  it('ends with exit 4 when the job it waits for is canceled', async ({ platform, tenant, home }) => {
    const env = { ...home.env, KONTEXT_BASE_URL: platform.url, KONTEXT_API_KEY: tenant.key };
    // 40 steps take several seconds here: long enough to cancel the job while it runs.
    const started = startUntilRunning(['generate', 'a slow painting', '--steps', '40'], { env, cwd: home.dir });
    const jobId = await started.running;
    const canceled = await tenant.api.request('POST', `/v1/jobs/${jobId}/cancel`);
    expect(canceled.status).toBe(200);
    const result = await started.exited;
    expectExit(result, 4);
    expect(result.stderr).toMatch(new RegExp(`^error: job ${jobId} canceled`, 'm'));
    expect(result.stdout).toBe('');

    // Waiting again for a job that already ended that way: the same exit code, at once.
    const again = await runCli(['jobs', 'wait', jobId], { env, cwd: home.dir });
    expectExit(again, 4);
    expect(again.stderr).toContain(`error: job ${jobId} canceled`);
  });

  it('stops waiting on Ctrl-C (exit 130) while the job runs on, and `jobs wait` picks it up', async ({ platform, tenant, home }) => {
    const env = { ...home.env, KONTEXT_BASE_URL: platform.url, KONTEXT_API_KEY: tenant.key };
    const started = startUntilRunning(['generate', 'a patient painting', '--steps', '30'], { env, cwd: home.dir });
    const jobId = await started.running;
    started.child.kill('SIGINT');
    const interrupted = await started.exited;
    expectExit(interrupted, 130);
    expect(interrupted.stderr).toContain(`kontext jobs wait ${jobId}`);
    const resumed = await runCli(['jobs', 'wait', jobId, '--json'], { env, cwd: home.dir });
    expectExit(resumed, 0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ job_id: jobId, status: 'succeeded' });
  });
});
