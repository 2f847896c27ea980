import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, onTestFinished } from 'vitest';
import { test } from '../../../test/harness/fixtures.ts';
import { WebhookReceiver } from '../../../test/harness/receiver.ts';
import { Kontext, KontextWebhookError, verifyWebhook, type WebhookPayload } from '../src/index.ts';

// verifyWebhook against signatures made by the Standard Webhooks reference library (never by our
// own signing code), then against real deliveries from the platform.

// One worker loop to run the jobs whose webhooks are delivered; retries 100 ms apart.
test.override({ platformOptions: { workerLoops: 1, webhookRetryScheduleSeconds: [0.1, 0.1, 0.1] } });

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({ type: 'job.succeeded', timestamp: '2025-01-01T00:00:00.000Z', id: 'job_1', status: 'Ready', result: null, progress: 1, details: { status: 'succeeded' } });

function signed(options: { secret?: string; at?: Date; id?: string; payload?: string } = {}) {
  const at = options.at ?? new Date();
  const id = options.id ?? 'msg_01TEST';
  const signature = new Webhook(options.secret ?? secret).sign(id, at, options.payload ?? body);
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
}

async function refusal(promise: Promise<unknown>): Promise<KontextWebhookError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KontextWebhookError);
  return error as KontextWebhookError;
}

describe('verifyWebhook, against the reference library', () => {
  test('accepts a valid signature, from a string or the raw bytes, with any header container', async () => {
    const headers = signed();
    const payload = await verifyWebhook(body, headers, secret);
    expect(payload).toEqual(JSON.parse(body));
    expect(await verifyWebhook(new TextEncoder().encode(body), new Headers(headers), secret)).toEqual(payload);
    // Header names as some frameworks keep them.
    expect(await verifyWebhook(body, { 'Webhook-Id': headers['webhook-id'], 'Webhook-Timestamp': headers['webhook-timestamp'], 'Webhook-Signature': headers['webhook-signature'] }, secret)).toEqual(payload);
  });

  test('refuses a tampered body', async () => {
    const error = await refusal(verifyWebhook(body.replace('Ready', 'Error'), signed(), secret));
    expect(error.message).toMatch(/no signature matches/);
  });

  test('refuses the wrong secret', async () => {
    await refusal(verifyWebhook(body, signed(), `whsec_${randomBytes(32).toString('base64')}`));
  });

  test('refuses a changed webhook-id or timestamp (both are signed)', async () => {
    const headers = signed();
    await refusal(verifyWebhook(body, { ...headers, 'webhook-id': 'msg_other' }, secret));
    await refusal(verifyWebhook(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) }, secret));
  });

  test('refuses a timestamp outside the tolerance, either way, and takes another tolerance', async () => {
    const now = new Date('2025-06-01T12:00:00Z');
    const old = signed({ at: new Date(now.getTime() - 301_000) });
    expect((await refusal(verifyWebhook(body, old, secret, { now }))).message).toMatch(/old/);
    const future = signed({ at: new Date(now.getTime() + 301_000) });
    expect((await refusal(verifyWebhook(body, future, secret, { now }))).message).toMatch(/future/);
    expect(await verifyWebhook(body, old, secret, { now, toleranceSeconds: 600 })).toEqual(JSON.parse(body));
    expect(await verifyWebhook(body, signed({ at: new Date(now.getTime() - 299_000) }), secret, { now })).toEqual(JSON.parse(body));
  });

  test('accepts any one matching signature of several (a rotating secret), and none of several wrong ones', async () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const at = new Date();
    const ours = signed({ at });
    const theirs = signed({ at, secret: other });
    const both = { ...ours, 'webhook-signature': `${theirs['webhook-signature']} ${ours['webhook-signature']}` };
    expect(await verifyWebhook(body, both, secret)).toEqual(JSON.parse(body));
    expect(await verifyWebhook(body, both, other)).toEqual(JSON.parse(body));
    // Node's headers can arrive as a list of values.
    expect(await verifyWebhook(body, { ...ours, 'webhook-signature': [theirs['webhook-signature'], ours['webhook-signature']] }, secret)).toEqual(JSON.parse(body));
    const third = `whsec_${randomBytes(32).toString('base64')}`;
    await refusal(verifyWebhook(body, both, third));
    // Unknown versions are skipped, not trusted.
    await refusal(verifyWebhook(body, { ...ours, 'webhook-signature': ours['webhook-signature'].replace(/^v1,/, 'v2,') }, secret));
  });

  test('refuses a delivery missing any of the three headers', async () => {
    const headers = signed();
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _removed, ...rest } = headers;
      expect((await refusal(verifyWebhook(body, rest, secret))).message).toContain(name);
    }
  });

  test('uses a secret that is not whsec_ as its raw bytes, as the platform signs per-request secrets', async () => {
    const raw = 'a plain shared secret';
    const at = new Date();
    const signature = new Webhook(new TextEncoder().encode(raw), { format: 'raw' }).sign('msg_raw', at, body);
    const headers = { 'webhook-id': 'msg_raw', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
    expect(await verifyWebhook(body, headers, raw)).toEqual(JSON.parse(body));
  });
});

describe('verifyWebhook, against real deliveries', () => {
  test('an endpoint\'s deliveries verify with its secret, before and during a rotation; redeliver sends the same webhook-id', { timeout: 60_000 }, async ({ platform, tenant }) => {
    const receiver = await new WebhookReceiver().start();
    onTestFinished(() => receiver.stop());
    const client = new Kontext({ apiKey: tenant.key, baseUrl: platform.url });
    const endpoint = await client.webhooks.endpoints.create({ url: receiver.url('/sdk'), events: ['job.succeeded'] });

    const job = await client.generate({ prompt: 'tell me when done', steps: 1 });
    const [delivery] = await receiver.waitFor('/sdk', 1);
    const payload: WebhookPayload = await verifyWebhook(delivery!.body, delivery!.headers, endpoint.secret);
    expect(payload).toMatchObject({ type: 'job.succeeded', id: job.id, status: 'Ready', details: { status: 'succeeded' } });
    expect(payload.result?.sample).toMatch(/^http/);
    // The reference library agrees with what the SDK accepted.
    expect(new Webhook(endpoint.secret).verify(delivery!.body, delivery!.headers as Record<string, string>)).toEqual(payload);
    await refusal(verifyWebhook(delivery!.body.replace('Ready', 'Error'), delivery!.headers, endpoint.secret));

    // While the secret rotates, deliveries carry two signatures: either secret verifies.
    const rotated = await client.webhooks.endpoints.rotateSecret(endpoint.id, { overlap_seconds: 3600 });
    const second = await client.generate({ prompt: 'and this one', steps: 1 });
    const deliveries = await receiver.waitFor('/sdk', 2);
    const during = deliveries[1]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect((await verifyWebhook(during.body, during.headers, rotated.secret)).id).toBe(second.id);
    expect((await verifyWebhook(during.body, during.headers, endpoint.secret)).id).toBe(second.id);

    // The delivery log, and sending one again: same webhook-id, still verifiable.
    await expect.poll(async () => (await client.webhooks.deliveries.list({ job_id: job.id })).data[0]?.status, { timeout: 15_000 }).toBe('succeeded');
    const [logged] = (await client.webhooks.deliveries.list({ job_id: job.id })).data;
    expect(logged).toMatchObject({ job_id: job.id, endpoint_id: endpoint.id, event_type: 'job.succeeded', attempts: 1 });
    const queued = await client.webhooks.deliveries.redeliver(logged!.id);
    expect(queued.id).toBe(logged!.id);
    const again = (await receiver.waitFor('/sdk', 3))[2]!;
    expect(again.headers['webhook-id']).toBe(delivery!.headers['webhook-id']);
    expect((await verifyWebhook(again.body, again.headers, rotated.secret)).id).toBe(job.id);
  });

  test('a test event sent with endpoints.sendTest verifies with the endpoint secret', { timeout: 60_000 }, async ({ platform, tenant }) => {
    const receiver = await new WebhookReceiver().start();
    onTestFinished(() => receiver.stop());
    const client = new Kontext({ apiKey: tenant.key, baseUrl: platform.url });
    const endpoint = await client.webhooks.endpoints.create({ url: receiver.url('/sdk-test') });
    const sent = await client.webhooks.endpoints.sendTest(endpoint.id);
    expect(sent).toMatchObject({ job_id: null, endpoint_id: endpoint.id, event_type: 'webhook.test', status: 'pending' });
    const [delivery] = await receiver.waitFor('/sdk-test', 1);
    expect(await verifyWebhook(delivery!.body, delivery!.headers, endpoint.secret)).toMatchObject({ type: 'webhook.test', data: { endpoint_id: endpoint.id } });
    await expect.poll(async () => (await client.webhooks.deliveries.list({ endpoint_id: endpoint.id })).data[0]?.status, { timeout: 15_000 }).toBe('succeeded');
  });

  test('a per-request webhook_secret signs the job\'s own webhook', { timeout: 60_000 }, async ({ platform, tenant }) => {
    const receiver = await new WebhookReceiver().start();
    onTestFinished(() => receiver.stop());
    const client = new Kontext({ apiKey: tenant.key, baseUrl: platform.url });
    const perRequest = 'a per-request secret, not whsec';
    const job = await client.generate({ prompt: 'bfl style', steps: 1, webhook_url: receiver.url('/bfl'), webhook_secret: perRequest });
    const [delivery] = await receiver.waitFor('/bfl', 1);
    expect(await verifyWebhook(delivery!.body, delivery!.headers, perRequest)).toMatchObject({ type: 'job.succeeded', id: job.id });
    await refusal(verifyWebhook(delivery!.body, delivery!.headers, 'another secret'));
  });
});
