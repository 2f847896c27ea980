import { EngineError, PreviewEngine, type Engine } from '@kontext/gpu-worker';
import type { MessageQueue } from '@kontext/queue';
import { authenticateApiKey, submitJob } from '@kontext/services';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedEngine, TestWorkers } from '../harness/engines.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';

// Failures end jobs clearly: an engine error becomes Error with its message, a retryable one is
// retried, a worker that returns the wrong size is caught, and nothing stays Pending forever.

let platform: TestPlatform;
let workers: TestWorkers;

// Long enough that no job here outlives its lease or the queue timeout by being slow (a loaded
// machine must not turn a test's job into a retried or timed-out one); the queue timeout case
// moves the job's clock instead of waiting. The sweeper runs every half lease.
const LEASE_SECONDS = 10;
const QUEUE_TIMEOUT_SECONDS = 600;
const DEADLINE_MS = 30_000;

beforeAll(async () => {
  // No built-in workers: each test runs its own agent with the engine it needs.
  platform = await startTestPlatform({
    workerLoops: 0,
    leaseSeconds: LEASE_SECONDS,
    maxAttempts: 3,
    queueTimeoutSeconds: QUEUE_TIMEOUT_SECONDS,
    dispatchGraceSeconds: 0,
  });
  workers = new TestWorkers(platform.ctx);
});

afterEach(async () => {
  await workers.stopAll();
});

afterAll(async () => {
  await platform?.stop();
});

function runAgent(engine: Engine): void {
  workers.start(engine);
}


/** An external queue during an outage: every call fails as a network error would. */
class UnreachableQueue implements MessageQueue {
  #fail(): never {
    throw new Error('queue endpoint unreachable');
  }
  send = async () => this.#fail();
  receive = async () => this.#fail();
  extendVisibility = async () => this.#fail();
  ack = async () => this.#fail();
  release = async () => this.#fail();
  close = async () => {};
}

async function attemptsOf(jobId: string): Promise<number> {
  const sql = postgres(platform.database.url, { max: 1 });
  try {
    const [row] = await sql<{ attempts: number }[]>`SELECT attempts FROM jobs WHERE id = ${jobId}`;
    return row?.attempts ?? -1;
  } finally {
    await sql.end();
  }
}

describe('engine failures', () => {
  it('a permanent engine error ends the job as Error with the message, on the first attempt', async () => {
    runAgent(new ScriptedEngine(() => new EngineError('CUDA out of memory at step 3', false)));
    const submitted = await platform.api.submit({ prompt: 'x' });
    const result = await platform.api.waitForResult(submitted.body.id);
    expect(result.status).toBe('Error');
    expect(result.details).toMatchObject({ status: 'failed', error: 'CUDA out of memory at step 3' });
    expect(await attemptsOf(submitted.body.id)).toBe(1);
  });

  it('a retryable engine error is retried, and the job then succeeds once', async () => {
    const engine = new ScriptedEngine((call) => (call === 1 ? new EngineError('engine restarting', true) : undefined));
    runAgent(engine);
    const submitted = await platform.api.submit({ prompt: 'x' });
    const result = await platform.api.waitForResult(submitted.body.id);
    expect(result.status).toBe('Ready');
    expect(engine.attemptsOf(submitted.body.id)).toBe(2);
    expect(await attemptsOf(submitted.body.id)).toBe(2);
  });

  it('a job that keeps failing retryably fails for good after max attempts', async () => {
    runAgent(new ScriptedEngine(() => new EngineError('engine restarting', true)));
    const submitted = await platform.api.submit({ prompt: 'x' });
    const result = await platform.api.waitForResult(submitted.body.id);
    expect(result.status).toBe('Error');
    expect(result.details?.error).toBe('engine restarting');
    expect(await attemptsOf(submitted.body.id)).toBe(3);
  });

  it('an engine that returns the wrong size fails the job instead of storing it', async () => {
    const preview = new PreviewEngine();
    const wrong: Engine = {
      id: 'wrong-size/1',
      start: async () => {},
      stop: async () => {},
      health: () => ({ state: 'ready' }),
      predict: (request, options) => preview.predict({ ...request, width: 512, height: 512 }, options),
    };
    runAgent(wrong);
    const submitted = await platform.api.submit({ prompt: 'x' });
    const result = await platform.api.waitForResult(submitted.body.id);
    expect(result.status).toBe('Error');
    expect(result.details?.error).toBe('the engine returned png 512x512; expected png 1024x1024');
  });
});

describe('nothing stays Pending forever', () => {
  it('a job no worker starts fails after the queue timeout', async () => {
    const submitted = await platform.api.submit({ prompt: 'nobody home' });
    // Queued for longer than the timeout, without the test waiting that long.
    const sql = postgres(platform.database.url, { max: 1, onnotice: () => {} });
    try {
      await sql`UPDATE jobs SET queued_at = now() - make_interval(secs => ${QUEUE_TIMEOUT_SECONDS + 60}) WHERE id = ${submitted.body.id}`;
    } finally {
      await sql.end();
    }
    const result = await platform.api.waitForResult(submitted.body.id, { timeoutMs: DEADLINE_MS });
    expect(result.status).toBe('Error');
    expect(result.details?.error).toBe(`no worker started this job within ${QUEUE_TIMEOUT_SECONDS} seconds`);
  });

  it('with the queue in the same database, a job and its message commit together or not at all', async () => {
    const sql = postgres(platform.database.url, { max: 1, onnotice: () => {} });
    try {
      await sql`ALTER TABLE queue_messages RENAME TO queue_messages_away`;
      const before = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs`;
      const refused = await platform.api.submit({ prompt: 'no queue' });
      expect(refused.status).toBe(500);
      expect(await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs`).toEqual(before);
    } finally {
      await sql`ALTER TABLE IF EXISTS queue_messages_away RENAME TO queue_messages`;
      await sql.end();
    }
  });

  it('with an external queue (outbox dispatch), a send lost after commit is relayed by the sweeper', async () => {
    // The dispatch mode an SQS deployment uses, with the external queue down at submit time. The
    // platform's own sweeper then relays the outbox row to its (working) queue.
    const outboxCtx = { ...platform.ctx, queueInJobDatabase: false, queue: new UnreachableQueue() };
    const auth = await authenticateApiKey({ ctx: outboxCtx, input: { key: platform.devApiKey } });
    const sql = postgres(platform.database.url, { max: 1, onnotice: () => {} });
    try {
      const { jobId } = await submitJob({
        ctx: outboxCtx,
        input: { auth, modelId: 'flux-kontext-dev', request: { prompt: 'outbox' }, requestId: 'req_01M8DFD8DANDT28ZT034WVYBX4' },
      });
      const [outbox] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM dispatch_outbox WHERE job_id = ${jobId}`;
      expect(outbox?.n).toBe(1);
      runAgent(new PreviewEngine());
      const result = await platform.api.waitForResult(jobId, { timeoutMs: DEADLINE_MS });
      expect(result.status).toBe('Ready');
      const [after] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM dispatch_outbox WHERE job_id = ${jobId}`;
      expect(after?.n).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
