import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ workerLoops: 2 });
});

afterAll(async () => {
  await platform?.stop();
});

describe('50 jobs submitted at once, 2 worker loops', () => {
  it('all reach Ready and none is processed twice', async () => {
    // A tenant whose limits admit all 50 at once: this test is about the workers, not the limits.
    const { api } = await platform.createTenantWithKey({ credits: 1000, limits: { max_active_jobs: 100 } });
    const submissions = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api.submit({ prompt: `job ${i}`, seed: i, aspect_ratio: i % 2 ? '16:9' : '1:1' })),
    );
    expect(submissions.map((s) => s.status)).toEqual(Array(50).fill(200));
    const ids = submissions.map((s) => s.body.id);
    expect(new Set(ids).size).toBe(50);

    // A deadline, not a measurement: 50 jobs on two loops of a loaded machine take a while.
    const results = await Promise.all(ids.map((id) => api.waitForResult(id, { timeoutMs: 150_000 })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill('Ready'));

    const sql = postgres(platform.database.url, { max: 1 });
    try {
      const jobs = await sql<{ id: string; attempts: number; outputs: number }[]>`
        SELECT j.id, j.attempts, (SELECT count(*)::int FROM assets a WHERE a.producing_job_id = j.id) AS outputs
        FROM jobs j WHERE j.id = ANY(${ids})`;
      expect(jobs).toHaveLength(50);
      for (const job of jobs) expect({ id: job.id, attempts: job.attempts, outputs: job.outputs }).toEqual({ id: job.id, attempts: 1, outputs: 1 });
      // A worker acks a job's message after it records the result: poll until the last acks are in.
      await expect
        .poll(async () => {
          const [leftovers] = await sql<{ messages: number; outbox: number }[]>`
            SELECT (SELECT count(*)::int FROM queue_messages) AS messages, (SELECT count(*)::int FROM dispatch_outbox) AS outbox`;
          return leftovers;
        }, { timeout: 15_000 })
        .toEqual({ messages: 0, outbox: 0 });
    } finally {
      await sql.end();
    }

    // Each job was started exactly once, and both loops did work.
    const started = platform.logs.map((line) => JSON.parse(line) as Record<string, string>).filter((entry) => entry.message === 'job started');
    const perJob = new Map<string, number>();
    for (const entry of started) perJob.set(entry.jobId!, (perJob.get(entry.jobId!) ?? 0) + 1);
    expect([...perJob.values()].every((count) => count === 1)).toBe(true);
    expect(perJob.size).toBe(50);
    expect(new Set(started.map((entry) => entry.workerId)).size).toBe(2);
  }, 200_000);
});
