import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countFiles } from '../harness/counts.ts';
import { jobLedger } from '../harness/sql.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { spawnNode, type SpawnedProcess } from '../harness/processes.ts';

// A real worker process is SIGKILLed in the middle of a job. The job must still end Ready,
// exactly once, with one output asset, run by a second worker process after the lease expires.

let platform: TestPlatform;
const workers: SpawnedProcess[] = [];

beforeAll(async () => {
  // The API and sweeper run here; the workers are separate processes.
  platform = await startTestPlatform({ workerLoops: 0, leaseSeconds: 2 });
});

afterEach(async () => {
  const running = workers.splice(0);
  for (const worker of running) worker.child.kill('SIGKILL');
  await Promise.all(running.map((worker) => worker.exited));
});

afterAll(async () => {
  await platform?.stop();
});

async function startWorker(stepDelayMs: number, env: Record<string, string> = {}): Promise<SpawnedProcess> {
  const worker = spawnNode('gpu-worker/src/main.ts', {
    DATABASE_URL: platform.database.url,
    STORAGE_DIR: platform.blobDir,
    PREVIEW_STEP_DELAY_MS: String(stepDelayMs),
    LEASE_SECONDS: '2',
    LOG_LEVEL: 'debug',
    ...env,
  });
  workers.push(worker);
  await worker.waitForOutput(/worker ready/);
  return worker;
}

// Deadlines for waits, not measurements: generous, since a loaded machine only makes things slower.
const DEADLINE_MS = 30_000;
const TEST_TIMEOUT_MS = 120_000;
// Per step of the worker that is stopped mid-job: 28 steps x 500 ms leave a 14 s window to stop it
// in, so that a slow machine cannot let the job finish first.
const STOPPED_WORKER_STEP_MS = 500;

describe('a worker killed mid-job', () => {
  it('leaves the job claimable; it ends Ready exactly once with one output', async () => {
    const slow = await startWorker(STOPPED_WORKER_STEP_MS);
    const submitted = await platform.api.submit({ prompt: 'survive a crash', seed: 5 });
    expect(submitted.status).toBe(200);
    const id = submitted.body.id;

    const running = await platform.api.waitForResult(id, { until: (body) => (body.progress ?? 0) > 0.1, timeoutMs: DEADLINE_MS });
    expect(running.status).toBe('Pending');
    expect(running.details?.status).toBe('running');
    slow.child.kill('SIGKILL');
    expect((await slow.exited).signal).toBe('SIGKILL');

    const fast = await startWorker(0);
    const result = await platform.api.waitForResult(id, { timeoutMs: DEADLINE_MS });
    expect(result.status).toBe('Ready');
    expect(fast.output()).toContain(id);

    const sql = postgres(platform.database.url, { max: 1 });
    try {
      const [job] = await sql<{ attempts: number; status: string; outputs: number }[]>`
        SELECT attempts, status, (SELECT count(*)::int FROM assets WHERE producing_job_id = ${id}) AS outputs
        FROM jobs WHERE id = ${id}`;
      expect(job).toEqual({ attempts: 2, status: 'succeeded', outputs: 1 });
      // Run twice, charged once.
      expect(await jobLedger(sql, id)).toEqual(['reserve:-2', 'settle:0']);
    } finally {
      await sql.end();
    }
    // One output (image and thumbnail): the killed worker never got as far as storing anything.
    expect(await countFiles(join(platform.blobDir, 'tenants'))).toBe(2); // the image and its thumbnail
    const sample = await fetch(result.result!.sample!);
    expect(sample.status).toBe(200);
  }, TEST_TIMEOUT_MS);

  it('a worker stopped with SIGTERM hands the job in hand back at once; another finishes it', async () => {
    const worker = await startWorker(STOPPED_WORKER_STEP_MS, { DRAIN_SECONDS: '0' });
    const submitted = await platform.api.submit({ prompt: 'graceful', seed: 6 });
    const id = submitted.body.id;
    await platform.api.waitForResult(id, { until: (body) => (body.progress ?? 0) > 0.1, timeoutMs: DEADLINE_MS });
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    expect(worker.output()).toMatch(/job handed back/);
    // Handed back, not left to a lease expiry: it is queued again right away.
    const queued = await platform.api.getResult(id);
    expect(queued.body.details?.status).toBe('queued');

    await startWorker(0);
    const result = await platform.api.waitForResult(id, { timeoutMs: DEADLINE_MS });
    expect(result.status).toBe('Ready');
    const sql = postgres(platform.database.url, { max: 1 });
    try {
      const [job] = await sql<{ attempts: number; outputs: number }[]>`
        SELECT attempts, (SELECT count(*)::int FROM assets WHERE producing_job_id = ${id}) AS outputs FROM jobs WHERE id = ${id}`;
      expect(job).toEqual({ attempts: 2, outputs: 1 });
    } finally {
      await sql.end();
    }
  }, TEST_TIMEOUT_MS);
});
