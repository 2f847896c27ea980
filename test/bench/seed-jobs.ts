import type postgres from 'postgres';

// Finished jobs for one tenant and key, spread evenly over the last `days` days, seeded through
// the real accounting trigger (usage events, hourly and daily rollups, ledger entries) as if
// workers had finished them: what the usage and console benchmarks read. 3 models in turn, every
// 20th job failed, end-to-end latencies of 1.5 to 10.5 s.

const SEED_BATCH = 20_000;
/**
 * Jobs finished per UPDATE. Each finished job updates its tenant's row; many in one transaction
 * pile up row versions that every later update in it walks past, which production (one job per
 * transaction) never does, so jobs are finished in small statements.
 */
const FINISH_BATCH = 250;

export interface SeedOptions {
  tenantId: string;
  apiKeyId: string;
  jobs: number;
  days: number;
  /** Called every 200,000 jobs (and at the end) with the count so far. */
  progress?: (seeded: number) => void;
  /**
   * Called once, for the first FINISH_BATCH jobs, to time the finishing UPDATE with and without the
   * accounting trigger (the accounts benchmark reports the trigger's cost per job).
   */
  compareTrigger?: (timings: { withTriggerMs: number; withoutTriggerMs: number; jobs: number }) => void;
}

export const seedJobId = (n: number) => `job_seed_${String(n).padStart(9, '0')}`;

export async function seedFinishedJobs(sql: postgres.Sql, options: SeedOptions): Promise<void> {
  const { tenantId, apiKeyId, jobs, days } = options;
  for (let first = 0; first < jobs; first += SEED_BATCH) {
    const last = Math.min(jobs, first + SEED_BATCH) - 1;
    const count = last - first + 1;
    // Admit the batch as the submit path would (reserve and take slots), then insert it running.
    await sql`UPDATE tenants SET credits_available = credits_available - ${count * 2}, credits_reserved = credits_reserved + ${count * 2},
              active_jobs = active_jobs + ${count} WHERE id = ${tenantId}`;
    await sql`
      INSERT INTO jobs (id, tenant_id, api_key_id, mode, request_id, model, engine_pool, status, prompt, seed, width, height,
        output_format, steps, guidance, safety_tolerance, cost_credits, input_mp, output_mp, max_attempts, attempts,
        created_at, queued_at, started_at, engine, root_job_id)
      SELECT 'job_seed_' || lpad(g::text, 9, '0'), ${tenantId}, ${apiKeyId}, 'live', 'req_seed',
             (ARRAY['flux-kontext-dev', 'flux-kontext-pro', 'flux-kontext-max'])[1 + g % 3], 'kontext-dev', 'running',
             'seeded job ' || g, g, 1024, 1024, 'png', 28, 2.5, 2, 2, 1.0486, 1.0486, 3, 1, t, t, t + interval '800 ms', 'preview-cpu/1',
             'job_seed_' || lpad(g::text, 9, '0')
      FROM generate_series(${first}::int, ${last}::int) AS g,
           LATERAL (SELECT now() - make_interval(days => ${days}) + (g::float8 / ${jobs}) * make_interval(days => ${days}) AS t) ts`;
    for (let chunk = first; chunk <= last; chunk += FINISH_BATCH) {
      const chunkLast = Math.min(last, chunk + FINISH_BATCH - 1);
      if (chunk === 0 && options.compareTrigger) {
        await sql`ALTER TABLE jobs DISABLE TRIGGER jobs_finalize_accounting`;
        let started = performance.now();
        await sql`UPDATE jobs SET status = 'succeeded', finished_at = started_at + interval '2 s'
                  WHERE id BETWEEN ${seedJobId(chunk)} AND ${seedJobId(chunkLast)}`;
        const withoutTriggerMs = performance.now() - started;
        // Back to running for the timed run with the trigger (the transition is what fires it).
        await sql`UPDATE jobs SET status = 'running', finished_at = NULL WHERE id BETWEEN ${seedJobId(chunk)} AND ${seedJobId(chunkLast)}`;
        await sql`ALTER TABLE jobs ENABLE TRIGGER jobs_finalize_accounting`;
        started = performance.now();
        await sql`UPDATE jobs SET status = 'succeeded', finished_at = started_at + interval '2 s'
                  WHERE id BETWEEN ${seedJobId(chunk)} AND ${seedJobId(chunkLast)}`;
        options.compareTrigger({ withTriggerMs: performance.now() - started, withoutTriggerMs, jobs: chunkLast - chunk + 1 });
        continue;
      }
      await sql`
        UPDATE jobs SET status = CASE WHEN seed % 20 = 0 THEN 'failed'::job_status ELSE 'succeeded'::job_status END,
                        finished_at = started_at + (interval '1 ms' * (1500 + (seed * 7919) % 9000))
        WHERE id BETWEEN ${seedJobId(chunk)} AND ${seedJobId(chunkLast)}`;
    }
    if ((last + 1) % 200_000 === 0 || last + 1 === jobs) options.progress?.(last + 1);
  }
  await sql`VACUUM ANALYZE jobs`;
  await sql`VACUUM ANALYZE usage_rollups`;
}
