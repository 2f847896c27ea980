import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { withSql } from '../harness/sql.ts';

// Idempotency-Key on every POST, with Stripe's semantics.

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ workerLoops: 0 });
});

afterAll(async () => {
  await platform?.stop();
});

const jobsOf = (tenantId: string) =>
  withSql(platform.database.url, async (sql) => {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = ${tenantId}`;
    return row?.n ?? 0;
  });

describe('Idempotency-Key', () => {
  it('a replay returns the stored answer: the same job, nothing new created', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 100 });
    const headers = { 'idempotency-key': 'order-1' };
    const first = await tenant.api.submit({ prompt: 'once' }, { headers });
    const again = await tenant.api.submit({ prompt: 'once' }, { headers });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(await jobsOf(tenant.tenantId)).toBe(1);
    expect((await tenant.api.request('GET', '/v1/credits')).body).toMatchObject({ credits: 98 });
  });

  it('20 concurrent requests with one key create one job', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 100 });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => tenant.api.submit({ prompt: 'stampede' }, { headers: { 'idempotency-key': 'stampede' } })),
    );
    expect(await jobsOf(tenant.tenantId)).toBe(1);
    const accepted = responses.filter((r) => r.status === 200);
    expect(new Set(accepted.map((r) => r.body.id)).size).toBe(1);
    // The rest were told the first is still running (409), or got its stored answer.
    expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
  });

  it('the same key with different parameters is refused with 422, naming the header', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 100 });
    await tenant.api.submit({ prompt: 'first' }, { headers: { 'idempotency-key': 'k' } });
    const other = await tenant.api.submit({ prompt: 'second' }, { headers: { 'idempotency-key': 'k' } });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    expect(await jobsOf(tenant.tenantId)).toBe(1);
  });

  it('a request refused by validation stores nothing: the key works for the corrected request', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 100 });
    const invalid = await tenant.api.submit({ prompt: '' }, { headers: { 'idempotency-key': 'fix-me' } });
    expect(invalid.status).toBe(422);
    const fixed = await tenant.api.submit({ prompt: 'fixed' }, { headers: { 'idempotency-key': 'fix-me' } });
    expect(fixed.status).toBe(200);
  });

  it('keys are scoped per tenant and per route', async () => {
    const a = await platform.createTenantWithKey({ credits: 100 });
    const b = await platform.createTenantWithKey({ credits: 100 });
    const headers = { 'idempotency-key': 'shared' };
    const jobA = await a.api.submit({ prompt: 'a' }, { headers });
    const jobB = await b.api.submit({ prompt: 'b' }, { headers });
    expect(jobB.body.id).not.toBe(jobA.body.id);
    const pro = await a.api.submit({ prompt: 'a' }, { headers, model: 'flux-kontext-pro' });
    expect(pro.status).toBe(200);
    expect(pro.body.id).not.toBe(jobA.body.id);
    // Another POST route with the same key: a cancel is its own operation.
    const canceled = await a.api.request('POST', `/v1/jobs/${jobA.body.id}/cancel`, { headers });
    expect(canceled.status).toBe(200);
    const canceledAgain = await a.api.request('POST', `/v1/jobs/${jobA.body.id}/cancel`, { headers });
    expect(canceledAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(canceledAgain.status).toBe(200);
  });

  it('refuses a malformed key', async () => {
    const response = await platform.api.submit({ prompt: 'x' }, { headers: { 'idempotency-key': 'x'.repeat(300) } });
    expect(response.status).toBe(422);
  });
});
