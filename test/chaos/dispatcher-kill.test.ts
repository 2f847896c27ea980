import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SECRET_KEYS_DIRECTORY } from '@kontext/local';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { spawnNode, type SpawnedProcess } from '../harness/processes.ts';
import { WebhookReceiver } from '../harness/receiver.ts';
import { withSql } from '../harness/sql.ts';

// A real dispatcher process is SIGKILLed while a delivery is in flight. Nothing is lost: its claim
// expires and another dispatcher delivers the same message (same webhook-id) again.

let platform: TestPlatform;
let receiver: WebhookReceiver;
const dispatchers: SpawnedProcess[] = [];

beforeAll(async () => {
  // Jobs run here; webhooks are delivered only by the dispatcher processes this test starts.
  platform = await startTestPlatform({ workerLoops: 1, dispatcherConcurrency: 0 });
  receiver = await new WebhookReceiver().start();
});

afterEach(async () => {
  const running = dispatchers.splice(0);
  for (const dispatcher of running) dispatcher.child.kill('SIGKILL');
  await Promise.all(running.map((dispatcher) => dispatcher.exited));
});

afterAll(async () => {
  await platform?.stop();
  await receiver?.stop();
});

async function startDispatcher(): Promise<SpawnedProcess> {
  const dispatcher = spawnNode('functions/dispatcher/src/main.ts', {
    DATABASE_URL: platform.database.url,
    STORAGE_DIR: platform.blobDir,
    // The platform's own key files, so the process opens the secrets the platform sealed.
    SECRET_KEYS_DIR: join(platform.dataDir, SECRET_KEYS_DIRECTORY),
    URL_SIGNING_SECRET: (await readFile(join(platform.dataDir, 'url-signing-secret'), 'utf8')).trim(),
    PUBLIC_BASE_URL: platform.publicBaseUrl,
    ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
    // A claim lasts 1 s here (60 s by default), so the test need not wait long for it to lapse.
    WEBHOOK_CLAIM_SECONDS: '1',
    WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2',
  });
  dispatchers.push(dispatcher);
  await dispatcher.waitForOutput(/dispatcher ready/);
  return dispatcher;
}

describe('a webhook dispatcher killed mid-delivery', () => {
  it('loses nothing: another dispatcher delivers the same message once its claim lapses', async () => {
    const secret = `whsec_${Buffer.from('chaos-signing-key-for-the-dispatcher').toString('base64')}`;
    // The first request hangs (the dispatcher is killed while waiting for it); later ones succeed.
    receiver.script('/hook', (_request, count) => (count === 1 ? { status: 200, delayMs: 10_000 } : { status: 200 }));
    const first = await startDispatcher();

    const submitted = await platform.api.submit({ prompt: 'survive the dispatcher', webhook_url: receiver.url('/hook'), webhook_secret: secret });
    await receiver.waitFor('/hook', 1);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    await startDispatcher();
    const [hung, delivered] = await receiver.waitFor('/hook', 2, 30_000);
    expect(delivered!.headers['webhook-id']).toBe(hung!.headers['webhook-id']);
    const body = new Webhook(secret).verify(delivered!.body, delivered!.headers as Record<string, string>);
    expect(body).toMatchObject({ type: 'job.succeeded', id: submitted.body.id, status: 'Ready' });

    await expect
      .poll(() =>
        withSql(platform.database.url, async (sql) => {
          const [row] = await sql<{ status: string; attempts: number; logged: number }[]>`
            SELECT d.status, d.attempts, (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS logged
            FROM webhook_deliveries d WHERE d.job_id = ${submitted.body.id}`;
          return row;
        }),
      { timeout: 30_000 },
      )
      .toEqual({ status: 'succeeded', attempts: 1, logged: 1 });
    // Two dispatcher starts and three waits, each with its own deadline.
  }, 150_000);
});
