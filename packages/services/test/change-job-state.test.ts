import { randomBytes } from 'node:crypto';
import { WEBHOOKS_QUEUE, jobQueueName, newId } from '@kontext/core';
import { insertApiKey, insertSubmittedJob, insertTenant } from '@kontext/db';
import { claimJob, releaseJob } from '@kontext/services';
import { expect } from 'vitest';
import { test } from '../../../test/harness/fixtures.ts';

// The services' door for job state (jobs/change-job-state.ts) does what follows a commit for every
// move. Where the webhooks go through a queue (the cloud), a job that fails by any path has its
// deliveries handed to that queue at once, not at the next maintenance pass.

test('a job failed by a release has its webhook relayed to the queue at once', async ({ startApiProcess }) => {
  const api = await startApiProcess();
  const { ctx, sql } = api;
  expect(ctx.queueInJobDatabase).toBe(false);
  const tenant = await insertTenant(ctx.db, {
    id: newId('tenant'), name: 'Door', initialCredits: 0, maxActiveJobs: 10, requestsPerMinutePerKey: 60, allowedModels: null, retentionDays: 30,
  });
  const key = await insertApiKey(ctx.db, {
    id: newId('apiKey'), tenantId: tenant.id, name: 'door', mode: 'test', keyHash: randomBytes(32).toString('hex'), displayPrefix: 'kx_test_', lastFour: 'abcd',
  });
  const jobId = newId('job');
  const admitted = await insertSubmittedJob(
    ctx.db,
    {
      id: jobId, tenantId: tenant.id, apiKeyId: key.id, mode: 'test', requestId: newId('request'), model: 'flux-kontext-dev',
      enginePool: 'preview', prompt: 'door', seed: 1, width: 512, height: 512, aspectRatio: null, outputFormat: 'png', steps: 2,
      guidance: 2.5, safetyTolerance: 2, costCredits: 0, inputMegapixels: 0, outputMegapixels: 0.26,
      webhookUrl: 'https://receiver.example/hook', webhookSecret: null, maxAttempts: 1,
    },
    [],
    { reserveCredits: 0, holdsActiveSlot: false, modelActiveLimit: null },
    { kind: 'outbox' },
  );
  expect(admitted).toEqual({ admitted: true });

  // A worker takes the job's message and claims it: its one and only attempt.
  await ctx.queue.send(jobQueueName('preview'), { jobId });
  const [message] = await ctx.queue.receive(jobQueueName('preview'), { maxMessages: 1, visibilitySeconds: 60, waitSeconds: 0 });
  expect(message).toBeDefined();
  const claim = await claimJob({ ctx, input: { jobId, workerId: 'wrk_door' } });
  expect(claim.claimed).toBe(true);
  if (!claim.claimed) return;

  const outcome = await releaseJob({
    ctx,
    input: { lease: claim.lease, enginePool: 'preview', receipt: message!.receipt, reason: 'the engine went away', retryDelaySeconds: 0 },
  });
  expect(outcome).toBe('failed');

  const deliveries = await sql<{ id: string; event_type: string; relay_token: string | null }[]>`
    SELECT id, event_type, relay_token FROM webhook_deliveries WHERE job_id = ${jobId}`;
  expect(deliveries).toHaveLength(1);
  expect(deliveries[0]).toMatchObject({ event_type: 'job.failed' });
  const relayed = await ctx.queue.receive(WEBHOOKS_QUEUE, { maxMessages: 10, visibilitySeconds: 60, waitSeconds: 0 });
  expect(relayed.map((m) => m.body)).toEqual([{ deliveryId: deliveries[0]!.id, relayToken: deliveries[0]!.relay_token }]);
});
