import { MAX_PENDING_TEST_DELIVERIES, WEBHOOK_TEST_MESSAGE, WEBHOOKS_QUEUE, WebhookRelayMessageSchema } from '@kontext/core';
import { authenticateApiKey, createTenant, createWebhookEndpoint, dispatchRelayedWebhook, issueApiKey, redeliverWebhook, sendTestWebhook, type ServiceContext } from '@kontext/services';
import { Webhook } from 'standardwebhooks';
import { describe, expect } from 'vitest';
import type { ApiClient, ApiResponse } from '../harness/api-client.ts';
import { test } from '../harness/fixtures.ts';
import { expectProblem } from '../harness/problems.ts';
import { WebhookReceiver, type ReceivedWebhook } from '../harness/receiver.ts';

// "Send test event" (POST /v1/webhooks/endpoints/{id}/test): a webhook.test delivery to one
// endpoint, about no job, delivered by the dispatcher like any other (signed, retried, logged,
// redeliverable), verified with the Standard Webhooks reference library, never with our own code.

// No workers: no job runs, so every delivery here is a test event. Retries 100 ms apart, two of them.
test.override({ platformOptions: { workerLoops: 0, webhookRetryScheduleSeconds: [0.1, 0.1] } });

const it = test.extend('receiver', { scope: 'file' }, async ({}, { onCleanup }) => {
  const receiver = await new WebhookReceiver().start();
  onCleanup(() => receiver.stop());
  return receiver;
});

interface Endpoint {
  id: string;
  secret: string;
  status: 'active' | 'disabled';
}

interface Delivery {
  id: string;
  job_id: string | null;
  endpoint_id: string | null;
  url: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  attempt_log: { attempt: number; status_code: number | null; error: string | null; response_excerpt: string | null }[];
}

interface TestEventBody {
  type: string;
  timestamp: string;
  data: { endpoint_id: string; message: string };
}

// A deadline for polls on delivery state: generous, since a loaded machine only makes it take longer.
const SETTLES = { timeout: 15_000 };

async function registerEndpoint(api: ApiClient, url: string): Promise<Endpoint> {
  const response = await api.request<Endpoint>('POST', '/v1/webhooks/endpoints', { json: { url } });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

const sendTest = (api: ApiClient, endpointId: string) => api.request<Delivery>('POST', `/v1/webhooks/endpoints/${endpointId}/test`);

async function deliveriesTo(api: ApiClient, endpointId: string): Promise<Delivery[]> {
  const response = await api.request<{ data: Delivery[] }>('GET', `/v1/webhooks/deliveries?endpoint_id=${endpointId}&limit=100`);
  expect(response.status, response.text).toBe(200);
  return response.body.data;
}

async function deliveryById(api: ApiClient, endpointId: string, id: string): Promise<Delivery | undefined> {
  return (await deliveriesTo(api, endpointId)).find((delivery) => delivery.id === id);
}

const headersOf = (webhook: ReceivedWebhook) => webhook.headers as Record<string, string>;

function expectAccepted(response: ApiResponse<Delivery>, endpoint: Endpoint, url: string): Delivery {
  expect(response.status, response.text).toBe(202);
  expect(response.body).toMatchObject({ job_id: null, endpoint_id: endpoint.id, url, event_type: 'webhook.test', status: 'pending', attempts: 0, attempt_log: [] });
  expect(response.body.id).toMatch(/^msg_[0-9A-Z]{26}$/);
  return response.body;
}

describe('a test event', () => {
  it('reaches the receiver signed with the endpoint secret, with the documented body, and is logged as succeeded', async ({ tenant, receiver }) => {
    const url = receiver.url('/hello');
    const endpoint = await registerEndpoint(tenant.api, url);
    const sent = expectAccepted(await sendTest(tenant.api, endpoint.id), endpoint, url);

    const [webhook] = await receiver.waitFor('/hello', 1);
    expect(webhook!.headers['webhook-id']).toBe(sent.id);
    const body = new Webhook(endpoint.secret).verify(webhook!.body, headersOf(webhook!)) as TestEventBody;
    expect(body).toEqual({ type: 'webhook.test', timestamp: expect.any(String), data: { endpoint_id: endpoint.id, message: WEBHOOK_TEST_MESSAGE } });
    expect(Object.keys(JSON.parse(webhook!.body) as object)).toEqual(['type', 'timestamp', 'data']);
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    // The event's time is the delivery's creation, stamped in the same statement.
    expect(body.timestamp).toBe(sent.created_at);
    expect(() => new Webhook(`whsec_${Buffer.from('not the endpoint secret, 32 b!!').toString('base64')}`).verify(webhook!.body, headersOf(webhook!))).toThrow();

    await expect.poll(async () => (await deliveryById(tenant.api, endpoint.id, sent.id))?.status, SETTLES).toBe('succeeded');
    const logged = await deliveryById(tenant.api, endpoint.id, sent.id);
    expect(logged).toMatchObject({ job_id: null, event_type: 'webhook.test', attempts: 1, last_status_code: 200, last_error: null, next_attempt_at: null });
    expect(logged?.attempt_log).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, error: null })]);
    // In the unfiltered log too; a job filter leaves it out (it is about no job).
    const all = await tenant.api.request<{ data: Delivery[] }>('GET', '/v1/webhooks/deliveries');
    expect(all.body.data.map((delivery) => delivery.id)).toContain(sent.id);
    const byJob = await tenant.api.request<{ data: Delivery[] }>('GET', '/v1/webhooks/deliveries?job_id=job_00000000000000000000000000');
    expect(byJob.body.data).toEqual([]);
  });

  it('each request is a new delivery with its own webhook-id', async ({ tenant, receiver }) => {
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/twice'));
    const first = await sendTest(tenant.api, endpoint.id);
    const second = await sendTest(tenant.api, endpoint.id);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.id).not.toBe(first.body.id);
    const webhooks = await receiver.waitFor('/twice', 2);
    expect(new Set(webhooks.map((webhook) => webhook.headers['webhook-id']))).toEqual(new Set([first.body.id, second.body.id]));
  });

  it('redelivered after its endpoint was deleted, fails without sending anything (it could only go out unsigned)', async ({ tenant, receiver }) => {
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/deleted'));
    const sent = expectAccepted(await sendTest(tenant.api, endpoint.id), endpoint, receiver.url('/deleted'));
    await receiver.waitFor('/deleted', 1);
    await expect.poll(async () => (await deliveryById(tenant.api, endpoint.id, sent.id))?.status, SETTLES).toBe('succeeded');
    expect((await tenant.api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`)).status).toBe(204);
    expect((await tenant.api.request('POST', `/v1/webhooks/deliveries/${sent.id}/redeliver`)).status).toBe(202);
    await expect.poll(async () => (await deliveryById(tenant.api, endpoint.id, sent.id))?.status, SETTLES).toBe('failed');
    const logged = await deliveryById(tenant.api, endpoint.id, sent.id);
    expect(logged?.attempt_log.at(-1)).toMatchObject({ status_code: null, error: 'the endpoint was deleted; nothing was sent' });
    // Still exactly the one message from before the delete.
    expect(await receiver.waitFor('/deleted', 1)).toHaveLength(1);
  });

  it('during a secret rotation carries both signatures, as every delivery does', async ({ tenant, receiver }) => {
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/rotating'));
    const rotated = await tenant.api.request<Endpoint>('POST', `/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`, { json: { overlap_seconds: 3600 } });
    expect(rotated.status, rotated.text).toBe(200);
    expect((await sendTest(tenant.api, endpoint.id)).status).toBe(202);
    const [webhook] = await receiver.waitFor('/rotating', 1);
    expect(String(webhook!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.body.secret]) expect(() => new Webhook(secret).verify(webhook!.body, headersOf(webhook!))).not.toThrow();
  });

  it('to a receiver answering 500 is retried on the schedule, fails, and can be redelivered', async ({ tenant, receiver }) => {
    let failing = true;
    receiver.script('/failing', () => (failing ? { status: 500, body: 'receiver down' } : { status: 200 }));
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/failing'));
    const sent = expectAccepted(await sendTest(tenant.api, endpoint.id), endpoint, receiver.url('/failing'));

    // The first attempt and both retries of the schedule, then no more.
    const attempts = await receiver.waitFor('/failing', 3);
    await expect.poll(async () => (await deliveryById(tenant.api, endpoint.id, sent.id))?.status, SETTLES).toBe('failed');
    const failed = await deliveryById(tenant.api, endpoint.id, sent.id);
    expect(failed).toMatchObject({ attempts: 3, last_status_code: 500, last_error: expect.stringMatching(/500/), next_attempt_at: null });
    expect(failed?.attempt_log.map((attempt) => [attempt.attempt, attempt.status_code, attempt.response_excerpt])).toEqual([
      [1, 500, 'receiver down'],
      [2, 500, 'receiver down'],
      [3, 500, 'receiver down'],
    ]);
    // One message: the same webhook-id and the same signed body on every attempt.
    for (const attempt of attempts) {
      expect(attempt.headers['webhook-id']).toBe(sent.id);
      expect(attempt.body).toBe(attempts[0]!.body);
      expect(() => new Webhook(endpoint.secret).verify(attempt.body, headersOf(attempt))).not.toThrow();
    }
    expect(receiver.on('/failing')).toHaveLength(3);

    failing = false;
    const redelivered = await tenant.api.request<Delivery>('POST', `/v1/webhooks/deliveries/${sent.id}/redeliver`);
    expect(redelivered.status, redelivered.text).toBe(202);
    expect(redelivered.body).toMatchObject({ id: sent.id, job_id: null, event_type: 'webhook.test', status: 'pending' });
    const [, , , again] = await receiver.waitFor('/failing', 4);
    expect(again!.headers['webhook-id']).toBe(sent.id);
    expect(again!.body).toBe(attempts[0]!.body);
    await expect.poll(async () => (await deliveryById(tenant.api, endpoint.id, sent.id))?.status, SETTLES).toBe('succeeded');
    expect((await deliveryById(tenant.api, endpoint.id, sent.id))?.attempt_log.map((attempt) => attempt.status_code)).toEqual([500, 500, 500, 200]);
  });

  it('to a disabled endpoint is refused with 409 until it is enabled again', async ({ tenant, receiver }) => {
    receiver.script('/gone', () => ({ status: 410 }));
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/gone'));
    // A test event answered 410 Gone disables the endpoint, as any delivery does.
    const first = await sendTest(tenant.api, endpoint.id);
    expect(first.status).toBe(202);
    await receiver.waitFor('/gone', 1);
    await expect
      .poll(async () => (await tenant.api.request<{ data: Endpoint[] }>('GET', '/v1/webhooks/endpoints')).body.data.find((e) => e.id === endpoint.id)?.status, SETTLES)
      .toBe('disabled');

    const refused = expectProblem(await sendTest(tenant.api, endpoint.id), 409);
    expect(refused.detail).toMatch(/disabled.*enable it first/);
    expect(await deliveriesTo(tenant.api, endpoint.id)).toHaveLength(1);

    receiver.script('/gone', () => ({ status: 200 }));
    const enabled = await tenant.api.request<Endpoint>('PATCH', `/v1/webhooks/endpoints/${endpoint.id}`, { json: { enabled: true } });
    expect(enabled.body.status).toBe('active');
    const after = await sendTest(tenant.api, endpoint.id);
    expect(after.status, after.text).toBe(202);
    const [, delivered] = await receiver.waitFor('/gone', 2);
    expect(delivered!.headers['webhook-id']).toBe(after.body.id);
  });

  it('an endpoint disabled by hand (enabled: false) gets nothing more, says who disabled it, and comes back with enabled: true', async ({ tenant, receiver }) => {
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/paused'));
    const disabled = await tenant.api.request<Endpoint & { disabled_reason: string | null }>('PATCH', `/v1/webhooks/endpoints/${endpoint.id}`, { json: { enabled: false } });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.body).toMatchObject({ status: 'disabled' });
    expect(JSON.stringify(disabled.body)).toContain(`API key ${tenant.keyId}`);
    expectProblem(await sendTest(tenant.api, endpoint.id), 409);
    const enabled = await tenant.api.request<Endpoint>('PATCH', `/v1/webhooks/endpoints/${endpoint.id}`, { json: { enabled: true } });
    expect(enabled.body.status).toBe('active');
    expect((await sendTest(tenant.api, endpoint.id)).status).toBe(202);
    await receiver.waitFor('/paused', 1);
  });

  it(`at most ${MAX_PENDING_TEST_DELIVERIES} may be pending per endpoint: one more is 429 with Retry-After, even when sent at once`, async ({ tenant, receiver }) => {
    // A receiver that is busy for an hour keeps every test delivery pending.
    let busy = true;
    receiver.script('/busy', () => (busy ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }));
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/busy'));
    const answers = await Promise.all(Array.from({ length: MAX_PENDING_TEST_DELIVERIES + 2 }, () => sendTest(tenant.api, endpoint.id)));
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(MAX_PENDING_TEST_DELIVERIES);
    const refusals = answers.filter((answer) => answer.status !== 202);
    expect(refusals).toHaveLength(2);
    for (const refusal of refusals) {
      expect(expectProblem(refusal, 429)).toMatchObject({ limit: 'pending_test_deliveries_per_endpoint', limit_value: MAX_PENDING_TEST_DELIVERIES });
      expect(Number(refusal.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }

    // Each was tried once and is due again in an hour; one more is refused until then.
    await receiver.waitFor('/busy', MAX_PENDING_TEST_DELIVERIES);
    await expect
      .poll(async () => (await deliveriesTo(tenant.api, endpoint.id)).filter((delivery) => delivery.attempts === 1 && delivery.status === 'pending').length, SETTLES)
      .toBe(MAX_PENDING_TEST_DELIVERIES);
    const later = await sendTest(tenant.api, endpoint.id);
    expectProblem(later, 429);
    const retryAfter = Number(later.headers.get('retry-after'));
    // Due in about an hour, not now: well over a minute however long the machine took to get here.
    expect(retryAfter).toBeGreaterThan(60);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await deliveriesTo(tenant.api, endpoint.id)).toHaveLength(MAX_PENDING_TEST_DELIVERIES);

    // The receiver is back: one redelivered and delivered frees a place.
    busy = false;
    const [oldest] = (await deliveriesTo(tenant.api, endpoint.id)).slice(-1);
    expect((await tenant.api.request('POST', `/v1/webhooks/deliveries/${oldest!.id}/redeliver`)).status).toBe(202);
    await expect.poll(async () => (await deliveryById(tenant.api, endpoint.id, oldest!.id))?.status, SETTLES).toBe('succeeded');
    expect((await sendTest(tenant.api, endpoint.id)).status).toBe(202);
  });
});

describe('who may send one', () => {
  it("another tenant's endpoint is not found (404), and nothing is written", async ({ platform, tenant, receiver }) => {
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/theirs'));
    const other = await platform.createTenantWithKey({ name: 'Another tenant' });
    const refused = expectProblem(await sendTest(other.api, endpoint.id), 404);
    expect(refused).toMatchObject({ type: 'urn:kontext:problem:not-found' });
    // Exactly as for an endpoint that does not exist.
    expectProblem(await sendTest(other.api, 'whe_00000000000000000000000000'), 404);
    expectProblem(await sendTest(other.api, 'not-an-id'), 404);
    expect(await deliveriesTo(tenant.api, endpoint.id)).toEqual([]);
    expect((await other.api.request<{ data: Delivery[] }>('GET', '/v1/webhooks/deliveries')).body.data).toEqual([]);
    expect(receiver.on('/theirs')).toEqual([]);
  });

  it('a key without webhooks:write is refused (403)', async ({ platform, tenant, receiver }) => {
    const endpoint = await registerEndpoint(tenant.api, receiver.url('/readonly'));
    const reader = await issueApiKey({ ctx: platform.ctx, input: { tenantId: tenant.tenantId, name: 'reader', mode: 'live', scopes: ['webhooks:read'] } });
    const refused = expectProblem(await sendTest(tenant.api.withKey(reader.key), endpoint.id), 403);
    expect(refused).toMatchObject({ required_scope: 'webhooks:write' });
    expect(await deliveriesTo(tenant.api, endpoint.id)).toEqual([]);
  });

  it('cannot subscribe to webhook.test: it is sent only when asked for', async ({ tenant, receiver }) => {
    const response = await tenant.api.request('POST', '/v1/webhooks/endpoints', { json: { url: receiver.url('/subscriber'), events: ['webhook.test'] } });
    const problem = expectProblem(response, 422);
    expect(problem.errors?.[0]?.field).toMatch(/^events/);
  });
});

describe('where deliveries go through the webhooks queue (the cloud)', () => {
  it('a test event and its redelivery are relayed by their own id, and delivered signed by the queue-driven dispatcher', async ({ platform, receiver, startApiProcess }) => {
    // An API process whose queue is not in the job database, as in AWS: deliveries are relayed to
    // the webhooks queue, and the dispatcher delivers what a message names. The platform's key ring seals.
    const api = await startApiProcess({ settings: { webhooks: { allowPrivateNetworks: true } } });
    const ctx: ServiceContext = { ...api.ctx, secrets: platform.ctx.secrets };
    expect(ctx.queueInJobDatabase).toBe(false);
    const tenant = await createTenant({ ctx, input: { name: 'Cloud tenant', credits: 0 } });
    const issued = await issueApiKey({ ctx, input: { tenantId: tenant.id, name: 'cloud', mode: 'live', scopes: ['webhooks:read', 'webhooks:write'] } });
    const auth = await authenticateApiKey({ ctx, input: { key: issued.key } });
    const endpoint = await createWebhookEndpoint({ ctx, input: { auth, url: receiver.url('/cloud') } });

    const sent = await sendTestWebhook({ ctx, input: { auth, endpointId: endpoint.id } });
    expect(sent).toMatchObject({ job_id: null, event_type: 'webhook.test', status: 'pending' });
    const receive = async () => (await ctx.queue.receive(WEBHOOKS_QUEUE, { maxMessages: 10, visibilitySeconds: 60, waitSeconds: 0 })).map((m) => WebhookRelayMessageSchema.parse(m.body));
    const [message, ...more] = await receive();
    expect(message?.deliveryId).toBe(sent.id);
    expect(more).toEqual([]);
    expect(await dispatchRelayedWebhook({ ctx, input: message! })).toBe('succeeded');
    const [webhook] = await receiver.waitFor('/cloud', 1);
    expect(new Webhook(endpoint.secret).verify(webhook!.body, headersOf(webhook!))).toMatchObject({ type: 'webhook.test', data: { endpoint_id: endpoint.id } });

    const redelivered = await redeliverWebhook({ ctx, input: { auth, id: sent.id } });
    expect(redelivered).toMatchObject({ id: sent.id, job_id: null, status: 'pending' });
    const [again] = await receive();
    expect(again?.deliveryId).toBe(sent.id);
    // The first message's token is spent: only the new one delivers.
    expect(await dispatchRelayedWebhook({ ctx, input: message! })).toBe('skipped');
    expect(await dispatchRelayedWebhook({ ctx, input: again! })).toBe('succeeded');
    const [, second] = await receiver.waitFor('/cloud', 2);
    expect(second!.headers['webhook-id']).toBe(sent.id);
    expect(second!.body).toBe(webhook!.body);
  });
});

describe('the table', () => {
  it('holds a job for every event but webhook.test, and an endpoint for every test event', async ({ sql }) => {
    const insert = (jobId: string | null, endpointId: string | null, eventType: string) => sql`
      INSERT INTO webhook_deliveries (id, tenant_id, job_id, endpoint_id, url, event_type, snapshot)
      VALUES (${`msg_${Math.random().toString(36).slice(2)}`}, 'ten_x', ${jobId}, ${endpointId}, 'http://example.com/', ${eventType}, '{}')`;
    await expect(insert(null, 'whe_x', 'job.succeeded')).rejects.toMatchObject({ constraint_name: 'webhook_deliveries_job_unless_test' });
    await expect(insert('job_x', 'whe_x', 'webhook.test')).rejects.toMatchObject({ constraint_name: 'webhook_deliveries_job_unless_test' });
    await expect(insert(null, null, 'webhook.test')).rejects.toMatchObject({ constraint_name: 'webhook_deliveries_test_has_endpoint' });
  });
});
