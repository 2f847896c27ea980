import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KontextEngine } from '@kontext/gpu-worker';
import { silentLogger } from '@kontext/services';
import postgres from 'postgres';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyKontextModel, ensureEngineVenv } from '../harness/engine-venv.ts';
import { TestWorkers } from '../harness/engines.ts';
import { pngImage } from '../harness/images.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';

// The real Kontext engine process (Python, diffusers) behind the TypeScript worker agent, with a
// tiny random-weight FLUX.1 Kontext pipeline on the CPU: submit through the API -> Ready, and the
// supervisor's duties (cancel, a crashed process restarted, its job retried).

// The engine runs on the CPU, so every wait on it is a poll with a generous deadline, and each test's
// timeout covers the sum of its waits with margin (the config default of 30 s would not).
const JOB_DEADLINE_MS = 120_000;
const PROGRESS_DEADLINE_MS = 60_000;
const CANCEL_DEADLINE_MS = 30_000;
const RETRY_DEADLINE_MS = 180_000;
const MARGIN_MS = 30_000;

let platform: TestPlatform;
let workers: TestWorkers;
let engine: KontextEngine;
let modelDir: string;
let python: string;

beforeAll(async () => {
  // The first run on a machine installs the engine's pinned environment (`npm test` does it first).
  python = await ensureEngineVenv();
  modelDir = await mkdtemp(join(tmpdir(), 'kontext-tiny-model-'));
  await buildTinyKontextModel(python, modelDir);
  platform = await startTestPlatform({ workerLoops: 0, leaseSeconds: 5 });
  engine = new KontextEngine({
    python,
    modelDir,
    // A small delay per step gives the cancel and crash tests a window while a job runs.
    env: { KONTEXT_DEVICE: 'cpu', KONTEXT_WARMUP: '0', KONTEXT_TEST_STEP_DELAY_MS: '150' },
    log: silentLogger,
    restartBackoffMs: { initial: 200, max: 1000 },
  });
  await engine.start();
  workers = new TestWorkers(platform.ctx);
  workers.start(engine);
}, 20 * 60_000);

afterAll(async () => {
  await workers?.stopAll();
  await engine?.stop();
  await platform?.stop();
  if (modelDir) await rm(modelDir, { recursive: true, force: true });
}, 2 * 60_000);

/** submitAndWait with a deadline that fits the CPU engine (the harness's default is 20 s). */
async function submitAndWaitForEngine(json: unknown) {
  const submitted = await platform.api.submit(json);
  expect(submitted.status).toBe(200);
  return platform.api.waitForResult(submitted.body.id, { timeoutMs: JOB_DEADLINE_MS });
}

async function download(sample: string): Promise<Buffer> {
  const response = await fetch(sample);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('the Kontext engine behind the worker agent', () => {
  it('an edit submitted through the API ends Ready with an image of the snapped size, made by the engine', async () => {
    const input = await pngImage({ width: 640, height: 480, seed: 3 });
    const submitted = await platform.api.submit({ prompt: 'make it dusk', input_image: input.toString('base64'), seed: 11, steps: 2 });
    expect(submitted.status).toBe(200);
    const result = await platform.api.waitForResult(submitted.body.id, { timeoutMs: JOB_DEADLINE_MS });
    expect(result.status).toBe('Ready');
    expect(result.details!.engine).toMatch(/^kontext-diffusers\//);
    const metadata = await sharp(await download(result.result!.sample!)).metadata();
    expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({
      format: 'png',
      width: result.details!.width,
      height: result.details!.height,
    });
  }, JOB_DEADLINE_MS + MARGIN_MS);

  it('the same seed and inputs give the same bytes; progress reaches the job as the engine steps', async () => {
    const request = { prompt: 'a red bicycle', seed: 5, steps: 3, aspect_ratio: '1:1', output_format: 'jpeg' };
    const first = await submitAndWaitForEngine(request);
    const second = await submitAndWaitForEngine(request);
    expect(first.status).toBe('Ready');
    expect(Buffer.compare(await download(first.result!.sample!), await download(second.result!.sample!))).toBe(0);
    const sql = postgres(platform.database.url, { max: 1, onnotice: () => {} });
    try {
      const progress = await sql<{ progress: number }[]>`
        SELECT (data->>'progress')::float AS progress FROM job_events WHERE job_id = ${first.id} AND type = 'progress' ORDER BY id`;
      expect(progress.map((row) => row.progress)).toEqual([...progress.map((row) => row.progress)].sort((a, b) => a - b));
      expect(progress.at(-1)?.progress).toBe(1);
    } finally {
      await sql.end();
    }
  }, 2 * JOB_DEADLINE_MS + MARGIN_MS);

  it('several reference images go to the engine as references and the edit succeeds', async () => {
    const images = await Promise.all([1, 2, 3].map((seed) => pngImage({ width: 320, height: 320, seed })));
    const submitted = await platform.api.submit({
      prompt: 'the character from image 2 in the style of image 3',
      input_image: images[0]!.toString('base64'),
      input_image_2: images[1]!.toString('base64'),
      input_image_3: images[2]!.toString('base64'),
      steps: 2,
    });
    expect((await platform.api.waitForResult(submitted.body.id, { timeoutMs: JOB_DEADLINE_MS })).status).toBe('Ready');
  }, JOB_DEADLINE_MS + MARGIN_MS);

  it('a cancel while the engine runs stops it between steps; the engine stays ready for the next job', async () => {
    // The most steps the model allows (7.5 s of step delays): the cancel lands mid-run even on a slow machine.
    const submitted = await platform.api.submit({ prompt: 'cancel me', steps: 50, aspect_ratio: '1:1' });
    await platform.api.waitForResult(submitted.body.id, { timeoutMs: PROGRESS_DEADLINE_MS, until: (body) => (body.progress ?? 0) > 0 });
    const canceled = await platform.api.request('POST', `/v1/jobs/${submitted.body.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect((await platform.api.waitForResult(submitted.body.id, { timeoutMs: CANCEL_DEADLINE_MS })).details?.status).toBe('canceled');
    expect(engine.health()).toEqual({ state: 'ready' });
    expect((await submitAndWaitForEngine({ prompt: 'after the cancel', steps: 2 })).status).toBe('Ready');
  }, PROGRESS_DEADLINE_MS + CANCEL_DEADLINE_MS + JOB_DEADLINE_MS + MARGIN_MS);

  it('an engine process that dies mid-job is restarted, and the job is retried to Ready', async () => {
    // The most steps the model allows (7.5 s of step delays), so the kill lands mid-job even on a slow machine.
    const submitted = await platform.api.submit({ prompt: 'survive a crash', steps: 50, aspect_ratio: '1:1' });
    await platform.api.waitForResult(submitted.body.id, { timeoutMs: PROGRESS_DEADLINE_MS, until: (body) => (body.progress ?? 0) > 0 });
    const pid = enginePid();
    process.kill(pid, 'SIGKILL');
    const result = await platform.api.waitForResult(submitted.body.id, { timeoutMs: RETRY_DEADLINE_MS });
    expect(result.status).toBe('Ready');
    expect(enginePid()).not.toBe(pid);
    const sql = postgres(platform.database.url, { max: 1, onnotice: () => {} });
    try {
      const [job] = await sql<{ attempts: number }[]>`SELECT attempts FROM jobs WHERE id = ${submitted.body.id}`;
      expect(job!.attempts).toBe(2);
    } finally {
      await sql.end();
    }
  }, PROGRESS_DEADLINE_MS + RETRY_DEADLINE_MS + MARGIN_MS);
});

/** The engine process's pid, from the processes this test runs (the engine is its only python child). */
function enginePid(): number {
  const pid = engine.pid;
  if (pid === undefined) throw new Error('the engine has no process');
  return pid;
}
