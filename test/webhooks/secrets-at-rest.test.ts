import { join } from 'node:path';
import { SECRET_KEYS_DIRECTORY } from '@kontext/local';
import { createKeyFile, EnvelopeSealer, KeyFileWrapper } from '@kontext/secrets';
import { runMaintenance, type ServiceContext } from '@kontext/services';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { WebhookReceiver } from '../harness/receiver.ts';
import { withSql } from '../harness/sql.ts';

// Webhook signing secrets are stored sealed (AES-256-GCM envelope under a key file in DATA_DIR):
// no table holds one in plain text, deliveries are still signed with them, a sealed value copied
// to another row does not work there, and after a key rotation maintenance re-seals every secret
// (and any stored before sealing existed) under the new key.

let platform: TestPlatform;
let receiver: WebhookReceiver;

beforeAll(async () => {
  platform = await startTestPlatform({ workerLoops: 1 });
  receiver = await new WebhookReceiver().start();
});

afterAll(async () => {
  await receiver?.stop();
  await platform?.stop();
});

interface Endpoint {
  id: string;
  secret: string;
}

async function storedSecrets(): Promise<{ endpoints: { id: string; secret: string; previous_secret: string | null }[]; jobs: { id: string; webhook_secret: string }[] }> {
  return withSql(platform.database.url, async (sql) => ({
    endpoints: await sql`SELECT id, secret, previous_secret FROM webhook_endpoints`,
    jobs: await sql`SELECT id, webhook_secret FROM jobs WHERE webhook_secret IS NOT NULL`,
  }));
}

describe('webhook secrets at rest', () => {
  it('are sealed in every table, and deliveries are signed with them', async () => {
    const created = await platform.api.request<Endpoint>('POST', '/v1/webhooks/endpoints', {
      json: { url: receiver.url('/endpoint'), events: ['job.succeeded'] },
    });
    expect(created.status).toBe(201);
    const rotated = await platform.api.request<Endpoint>('POST', `/v1/webhooks/endpoints/${created.body.id}/rotate-secret`, { json: {} });
    expect(rotated.status).toBe(200);
    const perRequest = 'a per-request secret, in plain words';
    const submitted = await platform.api.submit({ prompt: 'sealed', webhook_url: receiver.url('/job'), webhook_secret: perRequest });
    expect(submitted.status).toBe(200);

    const [toEndpoint] = await receiver.waitFor('/endpoint', 1);
    const [toJob] = await receiver.waitFor('/job', 1);
    expect(() => new Webhook(rotated.body.secret).verify(toEndpoint!.body, toEndpoint!.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(created.body.secret).verify(toEndpoint!.body, toEndpoint!.headers as Record<string, string>)).not.toThrow();
    const raw = new Webhook(new Uint8Array(Buffer.from(perRequest)), { format: 'raw' });
    expect(() => raw.verify(toJob!.body, toJob!.headers as Record<string, string>)).not.toThrow();

    const stored = await storedSecrets();
    const everything = JSON.stringify(stored);
    for (const secret of [created.body.secret, rotated.body.secret, perRequest]) expect(everything).not.toContain(secret);
    const values = [...stored.endpoints.flatMap((row) => [row.secret, row.previous_secret ?? '']).filter(Boolean), ...stored.jobs.map((row) => row.webhook_secret)];
    expect(values.length).toBe(3);
    for (const value of values) expect(value).toMatch(/^sealed:v1:/);
  });

  it("a sealed secret copied to another job's row does not open there", async () => {
    const first = await platform.api.submit({ prompt: 'one', webhook_url: receiver.url('/copied-from'), webhook_secret: 'first secret' });
    const second = await platform.api.submit({ prompt: 'two', webhook_url: receiver.url('/copied-to') });
    await receiver.waitFor('/copied-from', 1);
    await receiver.waitFor('/copied-to', 1);
    const [copied] = await withSql(platform.database.url, (sql) => sql<{ webhook_secret: string }[]>`SELECT webhook_secret FROM jobs WHERE id = ${first.body.id}`);
    await expect(platform.ctx.secrets.open(copied!.webhook_secret, `job-webhook:${second.body.id}`)).rejects.toThrow();
    expect(await platform.ctx.secrets.open(copied!.webhook_secret, `job-webhook:${first.body.id}`)).toBe('first secret');
  });

  it('after a key rotation, maintenance re-seals every secret (and plain ones from before sealing) under the new key', async () => {
    const endpoint = await platform.api.request<Endpoint>('POST', '/v1/webhooks/endpoints', { json: { url: receiver.url('/rotation') } });
    // A secret stored in plain text, as every one was before sealing existed.
    await withSql(platform.database.url, (sql) => sql`UPDATE webhook_endpoints SET secret = ${endpoint.body.secret} WHERE id = ${endpoint.body.id}`);

    const directory = join(platform.dataDir, SECRET_KEYS_DIRECTORY);
    await createKeyFile(directory, new Date(Date.now() + 60_000));
    // The process as it is after a restart: the newer key seals.
    const restarted: ServiceContext = { ...platform.ctx, secrets: new EnvelopeSealer(await KeyFileWrapper.load(directory)) };
    const report = await runMaintenance({ ctx: restarted, input: {} });
    expect(report.secretsResealed).toBeGreaterThan(0);

    const stored = await storedSecrets();
    const values = [...stored.endpoints.flatMap((row) => [row.secret, row.previous_secret ?? '']).filter(Boolean), ...stored.jobs.map((row) => row.webhook_secret)];
    for (const value of values) expect(restarted.secrets.isCurrent(value)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(endpoint.body.secret);
    expect((await runMaintenance({ ctx: restarted, input: {} })).secretsResealed).toBe(0);

    // A process still running from before the rotation opens the new key's values (it reads the new file).
    await platform.api.submit({ prompt: 'after rotation', webhook_url: receiver.url('/after'), webhook_secret: 'after' });
    const [delivery] = await receiver.waitFor('/rotation', 1);
    expect(() => new Webhook(endpoint.body.secret).verify(delivery!.body, delivery!.headers as Record<string, string>)).not.toThrow();
  });
});
