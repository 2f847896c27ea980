import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { WebhookReceiver } from '../harness/receiver.ts';

// Webhooks verified with the Standard Webhooks reference library, never with our own code.

let platform: TestPlatform;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // Retries 100 ms apart instead of minutes and hours.
  platform = await startTestPlatform({ workerLoops: 1, webhookRetryScheduleSeconds: [0.1, 0.1, 0.1, 0.1, 0.1] });
  receiver = await new WebhookReceiver().start();
});

afterAll(async () => {
  await platform?.stop();
  await receiver?.stop();
});

interface Body {
  type: string;
  id: string;
  status: string;
  result: { sample: string | null; seed: number } | null;
  details: { status: string };
}

describe('per-request webhooks (BFL webhook_url and webhook_secret)', () => {
  it('a whsec_ secret signs per Standard Webhooks, and the body reads like a poll', async () => {
    const secret = `whsec_${Buffer.from('a-per-request-signing-key-32-bytes!').toString('base64')}`;
    const submitted = await platform.api.submit({ prompt: 'notify me', seed: 9, webhook_url: receiver.url('/bfl'), webhook_secret: secret });
    const [delivery] = await receiver.waitFor('/bfl', 1);
    const verified = new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as Body;
    expect(verified).toMatchObject({ type: 'job.succeeded', id: submitted.body.id, status: 'Ready', details: { status: 'succeeded' } });
    expect(verified.result?.seed).toBe(9);
    expect((await fetch(verified.result!.sample!)).status).toBe(200);
    expect(delivery!.headers['webhook-id']).toMatch(/^msg_[0-9A-Z]{26}$/);
    expect(delivery!.body.length).toBeLessThan(2000);
  });

  it('any other secret string is used as raw UTF-8 key bytes', async () => {
    const secret = 'my plain shared secret';
    await platform.api.submit({ prompt: 'raw secret', webhook_url: receiver.url('/raw'), webhook_secret: secret });
    const [delivery] = await receiver.waitFor('/raw', 1);
    const verifier = new Webhook(new Uint8Array(Buffer.from(secret, 'utf8')), { format: 'raw' });
    expect(verifier.verify(delivery!.body, delivery!.headers as Record<string, string>)).toMatchObject({ type: 'job.succeeded' });
    expect(() => new Webhook('whsec_' + Buffer.from('wrong').toString('base64')).verify(delivery!.body, delivery!.headers as Record<string, string>)).toThrow();
  });
});

interface Endpoint {
  id: string;
  secret: string;
  status: string;
  events: string[];
  secret_rotation_ends_at: string | null;
}

interface Delivery {
  id: string;
  job_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_error: string | null;
  attempt_log: { attempt: number; status_code: number | null; error: string | null; response_excerpt: string | null }[];
}

async function registerEndpoint(path: string, events?: string[]): Promise<Endpoint> {
  const response = await platform.api.request<Endpoint>('POST', '/v1/webhooks/endpoints', {
    json: { url: receiver.url(path), ...(events ? { events } : {}) },
  });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

async function deliveriesOf(jobId: string): Promise<Delivery[]> {
  return (await platform.api.request<{ data: Delivery[] }>('GET', `/v1/webhooks/deliveries?job_id=${jobId}`)).body.data;
}

const headersOf = (webhook: { headers: Record<string, unknown> }) => webhook.headers as Record<string, string>;

/** The job a webhook is about (every event body carries the job's id). */
const jobOf = (webhook: { body: string }) => (JSON.parse(webhook.body) as Body).id;

// A deadline for polls on delivery state: generous, since a loaded machine only makes it take longer.
const SETTLES = { timeout: 15_000 };
// Tests that wait for several deliveries in turn, each with its own deadline.
const SEVERAL_WAITS_MS = 60_000;

describe('tenant endpoints', () => {
  it('receive the events they subscribe to, in order, signed with their whsec_ secret', async () => {
    const endpoint = await registerEndpoint('/all', ['job.started', 'job.succeeded']);
    expect(endpoint.secret).toMatch(/^whsec_/);
    const submitted = await platform.api.submit({ prompt: 'events' });
    const webhooks = await receiver.waitFor('/all', 2);
    const bodies = webhooks.map((w) => new Webhook(endpoint.secret).verify(w.body, headersOf(w)) as Body);
    expect(bodies.map((b) => [b.type, b.id, b.status])).toEqual([
      ['job.started', submitted.body.id, 'Pending'],
      ['job.succeeded', submitted.body.id, 'Ready'],
    ]);
    // Two events, two messages: distinct webhook-ids.
    expect(new Set(webhooks.map((w) => w.headers['webhook-id'])).size).toBe(2);
    await platform.api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`);
  });

  it('a receiver that fails the first 3 attempts gets exactly one successful delivery, same webhook-id on all 4', async () => {
    const endpoint = await registerEndpoint('/flaky', ['job.succeeded']);
    receiver.script('/flaky', (_request, count) => (count <= 3 ? { status: 500, body: 'not yet' } : { status: 200 }));
    const submitted = await platform.api.submit({ prompt: 'flaky receiver' });
    const webhooks = await receiver.waitFor('/flaky', 4);
    expect(new Set(webhooks.map((w) => w.headers['webhook-id'])).size).toBe(1);
    for (const webhook of webhooks) expect(() => new Webhook(endpoint.secret).verify(webhook.body, headersOf(webhook))).not.toThrow();
    await expect.poll(async () => (await deliveriesOf(submitted.body.id))[0]?.status, SETTLES).toBe('succeeded');
    const [delivery] = await deliveriesOf(submitted.body.id);
    expect(delivery?.attempt_log.map((a) => a.status_code)).toEqual([500, 500, 500, 200]);
    expect(delivery?.attempt_log[0]?.response_excerpt).toBe('not yet');
    // And nothing more arrives: a later job's webhook to the same endpoint is a marker that comes
    // after a whole job's run, by when any stray retry (0.1 s apart here) would have been sent.
    const marker = await platform.api.submit({ prompt: 'after the flaky one' });
    await receiver.waitFor('/flaky', 5);
    expect(receiver.on('/flaky').map(jobOf)).toEqual([...Array(4).fill(submitted.body.id), marker.body.id]);
    await platform.api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`);
  }, SEVERAL_WAITS_MS);

  it('410 Gone disables the endpoint: no more deliveries until it is re-enabled', async () => {
    const endpoint = await registerEndpoint('/gone', ['job.succeeded']);
    receiver.script('/gone', () => ({ status: 410 }));
    const first = await platform.api.submit({ prompt: 'gone' });
    await receiver.waitFor('/gone', 1);
    await expect
      .poll(
        async () => (await platform.api.request<{ data: Endpoint[] }>('GET', '/v1/webhooks/endpoints')).body.data.find((e) => e.id === endpoint.id)?.status,
        SETTLES,
      )
      .toBe('disabled');
    expect((await deliveriesOf(first.body.id))[0]).toMatchObject({ status: 'failed', attempts: 1 });
    const second = await platform.api.submitAndWait({ prompt: 'after gone' });
    expect(second.status).toBe('Ready');
    expect(receiver.on('/gone')).toHaveLength(1);
    // Re-enabled, it hears the next job.
    receiver.script('/gone', () => ({ status: 200 }));
    const enabled = await platform.api.request<Endpoint>('PATCH', `/v1/webhooks/endpoints/${endpoint.id}`, { json: { enabled: true } });
    expect(enabled.body.status).toBe('active');
    const third = await platform.api.submit({ prompt: 'back again' });
    await receiver.waitFor('/gone', 2);
    // The job that finished while the endpoint was disabled was never delivered, neither before the
    // next job's webhook (the marker) nor queued for after the re-enabling.
    expect(receiver.on('/gone').map(jobOf)).toEqual([first.body.id, third.body.id]);
    expect(await deliveriesOf(second.id)).toEqual([]);
    await platform.api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`);
  }, SEVERAL_WAITS_MS);

  it('a redirecting receiver counts as a failure; the redirect is never followed', async () => {
    const endpoint = await registerEndpoint('/moved', ['job.succeeded']);
    receiver.script('/moved', () => ({ status: 302, headers: { location: receiver.url('/elsewhere') } }));
    const submitted = await platform.api.submit({ prompt: 'redirect' });
    await receiver.waitFor('/moved', 2);
    const [delivery] = await deliveriesOf(submitted.body.id);
    expect(delivery?.attempt_log[0]).toMatchObject({ status_code: 302, error: expect.stringMatching(/redirects are not followed/) });
    expect(receiver.on('/elsewhere')).toEqual([]);
    await platform.api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`);
  });

  it('Retry-After is honoured over the schedule', async () => {
    const endpoint = await registerEndpoint('/busy', ['job.succeeded']);
    receiver.script('/busy', (_request, count) => (count === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    await platform.api.submit({ prompt: 'busy receiver' });
    const [first, second] = await receiver.waitFor('/busy', 2);
    // The schedule says 0.1 s; the receiver asked for 2 s. A lower bound only: a slow machine can
    // only make the gap longer, never fail it.
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1900);
    await platform.api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`);
  });

  it('during a secret rotation every delivery carries both signatures', async () => {
    const endpoint = await registerEndpoint('/rotating', ['job.succeeded']);
    const rotated = await platform.api.request<Endpoint>('POST', `/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`, { json: { overlap_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(rotated.body.secret_rotation_ends_at).not.toBeNull();
    await platform.api.submit({ prompt: 'rotation' });
    const [webhook] = await receiver.waitFor('/rotating', 1);
    expect(String(webhook!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => new Webhook(endpoint.secret).verify(webhook!.body, headersOf(webhook!))).not.toThrow();
    expect(() => new Webhook(rotated.body.secret).verify(webhook!.body, headersOf(webhook!))).not.toThrow();
    await platform.api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`);
  });

  it('every attempt is logged, and a delivery can be sent again with the same webhook-id', async () => {
    const endpoint = await registerEndpoint('/log', ['job.succeeded']);
    const submitted = await platform.api.submit({ prompt: 'log' });
    const [first] = await receiver.waitFor('/log', 1);
    await expect.poll(async () => (await deliveriesOf(submitted.body.id))[0]?.status, SETTLES).toBe('succeeded');
    const [delivery] = await deliveriesOf(submitted.body.id);
    const redelivered = await platform.api.request<Delivery>('POST', `/v1/webhooks/deliveries/${delivery!.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    const [, second] = await receiver.waitFor('/log', 2);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    await expect.poll(async () => (await deliveriesOf(submitted.body.id))[0]?.attempt_log.length, SETTLES).toBe(2);
    const filtered = await platform.api.request<{ data: Delivery[] }>('GET', `/v1/webhooks/deliveries?endpoint_id=${endpoint.id}&outcome=succeeded`);
    expect(filtered.body.data.map((d) => d.id)).toContain(delivery!.id);
    await platform.api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`);
  }, SEVERAL_WAITS_MS);

  it('registration refuses a target on a private network unless the operator allows it', async () => {
    const strict = { ...platform.ctx, settings: { ...platform.ctx.settings, webhooks: { ...platform.ctx.settings.webhooks, allowPrivateNetworks: false } } };
    const { createWebhookEndpoint, authenticateApiKey } = await import('@kontext/services');
    const auth = await authenticateApiKey({ ctx: strict, input: { key: platform.devApiKey } });
    await expect(createWebhookEndpoint({ ctx: strict, input: { auth, url: receiver.url('/private') } })).rejects.toMatchObject({
      kind: 'validation_failed',
      issues: [{ field: 'url', message: expect.stringMatching(/private, loopback or reserved/) }],
    });
    await expect(createWebhookEndpoint({ ctx: strict, input: { auth, url: 'http://169.254.169.254/latest' } })).rejects.toMatchObject({ kind: 'validation_failed' });
  });
});
