import { randomBytes } from 'node:crypto';
import {
  API_KEY_SCOPES,
  CreatedApiKeySchema,
  DEFAULT_API_KEY_SCOPES,
  DEFAULT_TENANT_LIMITS,
  generateApiKey,
  parseApiKey,
  TenantListSchema,
  TenantSchema,
  UsageResponseSchema,
  type TenantLimits,
} from '@kontext/core';
import { createTenant, isAdminApiEnabled, issueApiKey } from '@kontext/services';
import type postgres from 'postgres';
import { describe, expect } from 'vitest';
import type { z } from 'zod';
import type { ApiResponse } from '../../../test/harness/api-client.ts';
import { it } from '../../../test/harness/fixtures.ts';
import { expectProblem, type Problem } from '../../../test/harness/problems.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';

// The operator API (/admin/v1): who may call it, tenants and their limits, credits and the
// ledger, keys issued for tenants, and platform usage. Talked to over HTTP, as an operator would.

type Tenant = z.infer<typeof TenantSchema>;
type CreatedKey = z.infer<typeof CreatedApiKeySchema>;

it.override({ platformOptions: { workerLoops: 1 } });

/** A unique tenant name per call, so tests never depend on each other's tenants. */
function uniqueName(label: string): string {
  return `${label} ${randomBytes(4).toString('hex')}`;
}

async function createTenantViaApi(platform: TestPlatform, body: { name?: string; credits?: number; limits?: Partial<TenantLimits> } = {}): Promise<Tenant> {
  const response = await platform.admin.request<Tenant>('POST', '/admin/v1/tenants', { json: { name: uniqueName('Tenant'), ...body } });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

async function createKeyViaApi(platform: TestPlatform, tenantId: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const response = await platform.admin.request<CreatedKey>('POST', `/admin/v1/tenants/${tenantId}/keys`, { json: { name: 'primary', ...body } });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

async function tenantCount(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ count: string }[]>`SELECT count(*)::text AS count FROM tenants`;
  return Number(row?.count);
}

async function ledger(sql: postgres.Sql, tenantId: string): Promise<{ sum: number; entries: number }> {
  const [row] = await sql<{ sum: string | null; entries: string }[]>`
    SELECT sum(amount)::text AS sum, count(*)::text AS entries FROM credit_ledger WHERE tenant_id = ${tenantId}`;
  return { sum: Number(row?.sum ?? 0), entries: Number(row?.entries ?? 0) };
}

async function getTenantViaApi(platform: TestPlatform, id: string): Promise<Tenant> {
  const response = await platform.admin.request<Tenant>('GET', `/admin/v1/tenants/${id}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

const UNKNOWN_TENANT = 'ten_01M8DFD8DANDT28ZT034WVYBX4';

/** Every operator route, with a valid body where it takes one. */
function adminRoutes(tenantId: string): [string, string, unknown][] {
  return [
    ['POST', '/admin/v1/tenants', { name: 'x' }],
    ['GET', '/admin/v1/tenants', undefined],
    ['GET', `/admin/v1/tenants/${tenantId}`, undefined],
    ['PATCH', `/admin/v1/tenants/${tenantId}`, { limits: { max_active_jobs: 2 } }],
    ['POST', `/admin/v1/tenants/${tenantId}/credits`, { amount: 5, reason: 'x' }],
    ['POST', `/admin/v1/tenants/${tenantId}/keys`, { name: 'x' }],
    ['GET', '/admin/v1/usage', undefined],
  ];
}

describe('operator authentication', () => {
  it('a missing or wrong admin token -> 401 on every operator route, and nothing is written', async ({ platform, sql }) => {
    const tenant = await createTenantViaApi(platform, { credits: 10 });
    const before = await tenantCount(sql);
    const wrongTokens: (string | null)[] = [
      null,
      `kxadmin_${randomBytes(32).toString('base64url')}`,
      platform.adminToken.slice(0, -1),
      `${platform.adminToken}x`,
      // A mistyped API key (bad checksum) is not a key: it is just a wrong token.
      platform.devApiKey.slice(0, -1) + (platform.devApiKey.endsWith('A') ? 'B' : 'A'),
    ];
    for (const [method, path, json] of adminRoutes(tenant.id)) {
      for (const token of wrongTokens) {
        const response = await platform.admin.request(method, path, { key: token, ...(json === undefined ? {} : { json }) });
        expectProblem(response, 401);
      }
      // Not a Bearer credential at all.
      const basic = await platform.admin.request(method, path, {
        key: null,
        headers: { authorization: `Basic ${Buffer.from(`admin:${platform.adminToken}`).toString('base64')}` },
        ...(json === undefined ? {} : { json }),
      });
      expectProblem(basic, 401);
    }
    expect(await tenantCount(sql)).toBe(before);
    const after = await getTenantViaApi(platform, tenant.id);
    expect(after.credits.available).toBe(10);
    expect(after.limits).toEqual(tenant.limits);
  });

  it('an API key, however privileged, -> 403 (x-key or Bearer), even alongside the admin token', async ({ platform, sql }) => {
    const tenant = await createTenantViaApi(platform);
    const before = await tenantCount(sql);
    for (const [method, path, json] of adminRoutes(tenant.id)) {
      const body = json === undefined ? {} : { json };
      const viaXKey = await platform.admin.request(method, path, { key: null, headers: { 'x-key': platform.devApiKey }, ...body });
      expect(expectProblem(viaXKey, 403).detail).toMatch(/API keys cannot use the operator API/);
      const viaBearer = await platform.admin.request(method, path, { key: platform.devApiKey, ...body });
      expectProblem(viaBearer, 403);
      // Any well-formed key counts, known or not, live or test.
      const unknownTestKey = await platform.admin.request(method, path, { key: generateApiKey('test'), ...body });
      expectProblem(unknownTestKey, 403);
      const both = await platform.admin.request(method, path, {
        key: null,
        headers: { authorization: `Bearer ${platform.adminToken}`, 'x-key': platform.devApiKey },
        ...body,
      });
      expectProblem(both, 403);
    }
    expect(await tenantCount(sql)).toBe(before);
  });

  it('the admin token is not an API key: the tenant API refuses it with 401', async ({ platform }) => {
    const response = await platform.api.request('GET', '/v1/credits', { key: null, headers: { authorization: `Bearer ${platform.adminToken}` } });
    expectProblem(response, 401);
  });

  it('the right token works, case-insensitively on the scheme', async ({ platform }) => {
    const response = await platform.admin.request('GET', '/admin/v1/tenants?limit=1', {
      key: null,
      headers: { authorization: `bearer ${platform.adminToken}` },
    });
    expect(response.status).toBe(200);
  });
});

describe('with no admin token configured', () => {
  it('the operator API does not exist: 404 problem+json for every route and credential, while the tenant API works', async ({ platform, startApiProcess }) => {
    // On a database of its own, with no admin token in its settings.
    const { ctx, app, sql } = await startApiProcess();
    expect(isAdminApiEnabled(ctx)).toBe(false);
    const tenant = await createTenant({ ctx, input: { name: 'Off', credits: 3 } });
    const issued = await issueApiKey({ ctx, input: { tenantId: tenant.id, name: 'k', mode: 'live' } });

    const credentials: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${platform.adminToken}` },
      { authorization: `Bearer kxadmin_${randomBytes(32).toString('base64url')}` },
      { 'x-key': issued.key },
      { authorization: `Bearer ${issued.key}` },
    ];
    for (const [method, path, json] of adminRoutes(tenant.id)) {
      for (const headers of credentials) {
        const response = await app.request(path, {
          method,
          headers: { ...headers, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(json === undefined ? {} : { body: JSON.stringify(json) }),
        });
        expect(response.status, `${method} ${path} ${JSON.stringify(Object.keys(headers))}`).toBe(404);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        const problem = (await response.json()) as Problem;
        expect(problem.status).toBe(404);
        expect(problem.request_id).toMatch(/^req_/);
      }
    }
    // Nothing was changed through the missing routes.
    const [row] = await sql<{ count: string; credits: string }[]>`
      SELECT (SELECT count(*) FROM tenants)::text AS count, (SELECT credits_available FROM tenants WHERE id = ${tenant.id})::text AS credits`;
    expect(row).toEqual({ count: '1', credits: '3' });

    // The tenant API is unaffected.
    const credits = await app.request('/v1/credits', { headers: { 'x-key': issued.key } });
    expect(credits.status).toBe(200);
    expect(await credits.json()).toEqual({ credits: 3, reserved: 0 });
    // And the operator routes are absent from the published contract.
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
  });
});

describe('POST /admin/v1/tenants', () => {
  it('creates a tenant with its credits and limits -> 201 and the Tenant shape', async ({ platform, sql }) => {
    const limits: TenantLimits = { max_active_jobs: 3, requests_per_minute_per_key: 120, allowed_models: ['flux-kontext-pro'], retention_days: 7 };
    const name = uniqueName('Acme');
    const response = await platform.admin.request<Tenant>('POST', '/admin/v1/tenants', { json: { name, credits: 500, limits } });
    expect(response.status, response.text).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(TenantSchema.safeParse(response.body).success).toBe(true);
    expect(Object.keys(response.body).sort()).toEqual(['active_jobs', 'created_at', 'credits', 'id', 'limits', 'name']);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^ten_[0-9A-Z]{26}$/),
      name,
      created_at: expect.any(String),
      credits: { available: 500, reserved: 0 },
      active_jobs: 0,
      limits,
    });
    expect(Math.abs(Date.parse(response.body.created_at) - Date.now())).toBeLessThan(60_000);
    // The opening balance is ledgered.
    expect(await ledger(sql, response.body.id)).toEqual({ sum: 500, entries: 1 });
    expect(await getTenantViaApi(platform, response.body.id)).toEqual(response.body);
  });

  it('unset limits take the defaults; a partial set keeps the defaults for the rest', async ({ platform, sql }) => {
    const bare = await createTenantViaApi(platform);
    expect(bare.limits).toEqual(DEFAULT_TENANT_LIMITS);
    expect(bare.credits).toEqual({ available: 0, reserved: 0 });
    expect(await ledger(sql, bare.id)).toEqual({ sum: 0, entries: 0 });

    const partial = await createTenantViaApi(platform, { limits: { retention_days: 90 } });
    expect(partial.limits).toEqual({ ...DEFAULT_TENANT_LIMITS, retention_days: 90 });
  });

  it.for<[string, Record<string, unknown>, string[]]>([
    ['negative credits', { credits: -1 }, ['credits']],
    ['fractional credits', { credits: 1.5 }, ['credits']],
    ['credits over the largest grant', { credits: 1_000_000_001 }, ['credits']],
    ['credits as a string', { credits: '100' }, ['credits']],
    ['max_active_jobs 0', { limits: { max_active_jobs: 0 } }, ['limits.max_active_jobs']],
    ['max_active_jobs 100000000', { limits: { max_active_jobs: 100_000_000 } }, ['limits.max_active_jobs']],
    ['retention_days 0', { limits: { retention_days: 0 } }, ['limits.retention_days']],
    ['retention_days 100 years', { limits: { retention_days: 36_500 } }, ['limits.retention_days']],
    ['requests_per_minute_per_key 0', { limits: { requests_per_minute_per_key: 0 } }, ['limits.requests_per_minute_per_key']],
    ['an unknown model in allowed_models', { limits: { allowed_models: ['flux-kontext-dev', 'flux-kontext-ultra'] } }, ['limits.allowed_models.1']],
    ['an empty allowed_models', { limits: { allowed_models: [] } }, ['limits.allowed_models']],
    ['a malformed model id', { limits: { allowed_models: ['Not A Model!'] } }, ['limits.allowed_models.0']],
    ['an unknown top-level field', { colour: 'red' }, ['colour']],
    ['an unknown limits field', { limits: { max_jobs: 3 } }, ['limits.max_jobs']],
    ['several faults at once', { credits: -5, limits: { max_active_jobs: 0, retention_days: 0 } }, ['credits', 'limits.max_active_jobs', 'limits.retention_days']],
  ])('%s -> 422 naming the field, nothing written', async ([, body, fields], { platform, sql }) => {
    const before = await tenantCount(sql);
    const response = await platform.admin.request('POST', '/admin/v1/tenants', { json: { name: uniqueName('Bad'), ...body } });
    expectProblem(response, 422, fields);
    expect(await tenantCount(sql)).toBe(before);
  });

  it('a missing or blank name -> 422 naming name', async ({ platform }) => {
    expectProblem(await platform.admin.request('POST', '/admin/v1/tenants', { json: { credits: 5 } }), 422, ['name']);
    expectProblem(await platform.admin.request('POST', '/admin/v1/tenants', { json: { name: '   ' } }), 422, ['name']);
  });

  it('a body that is not JSON -> 415; malformed JSON -> 400', async ({ platform }) => {
    expectProblem(await platform.admin.request('POST', '/admin/v1/tenants', { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } }), 415);
    expectProblem(await platform.admin.request('POST', '/admin/v1/tenants', { rawBody: '{"name":', headers: { 'content-type': 'application/json' } }), 400);
  });
});

describe('GET /admin/v1/tenants', () => {
  it('pages with a cursor: five new tenants in pages of two are each seen exactly once, next_cursor null at the end', async ({ platform, sql }) => {
    const label = uniqueName('Paged');
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createTenantViaApi(platform, { name: `${label} ${i}` })).id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for (;;) {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&after=${encodeURIComponent(cursor)}`;
      const response: ApiResponse<z.infer<typeof TenantListSchema>> = await platform.admin.request('GET', `/admin/v1/tenants${query}`);
      expect(response.status, response.text).toBe(200);
      expect(TenantListSchema.safeParse(response.body).success).toBe(true);
      expect(response.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.data.map((tenant) => tenant.id));
      pages += 1;
      cursor = response.body.next_cursor;
      if (cursor === null) break;
      expect(response.body.data.length).toBe(2);
      expect(pages).toBeLessThan(1000);
    }
    // Every tenant once, in creation order, and ours among them in the order they were made.
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(await tenantCount(sql));
    expect(seen).toEqual([...seen].sort());
    expect(seen.filter((id) => created.includes(id))).toEqual(created);
  });

  it('the last page has next_cursor null even when it is full', async ({ platform }) => {
    const all = await platform.admin.request<z.infer<typeof TenantListSchema>>('GET', '/admin/v1/tenants?limit=500');
    expect(all.status).toBe(200);
    expect(all.body.next_cursor).toBeNull();
    const total = all.body.data.length;
    const exact = await platform.admin.request<z.infer<typeof TenantListSchema>>('GET', `/admin/v1/tenants?limit=${total}`);
    expect(exact.body.data.length).toBe(total);
    expect(exact.body.next_cursor).toBeNull();
    const lastId = all.body.data.at(-1)?.id ?? '';
    const beyond = await platform.admin.request<z.infer<typeof TenantListSchema>>('GET', `/admin/v1/tenants?after=${lastId}`);
    expect(beyond.body).toEqual({ data: [], next_cursor: null });
  });

  it('limit out of range -> 422 naming limit', async ({ platform }) => {
    for (const limit of ['0', '501', 'ten', '1.5']) {
      expectProblem(await platform.admin.request('GET', `/admin/v1/tenants?limit=${limit}`), 422, ['limit']);
    }
  });
});

describe('GET /admin/v1/tenants/{id}', () => {
  it('returns the tenant; an unknown id -> 404 problem+json', async ({ platform }) => {
    const tenant = await createTenantViaApi(platform, { credits: 42 });
    expect(await getTenantViaApi(platform, tenant.id)).toEqual(tenant);
    expectProblem(await platform.admin.request('GET', `/admin/v1/tenants/${UNKNOWN_TENANT}`), 404);
    expectProblem(await platform.admin.request('GET', '/admin/v1/tenants/not-an-id'), 404);
  });
});

describe('PATCH /admin/v1/tenants/{id}', () => {
  it('changes only the limits given; null allowed_models means every model', async ({ platform }) => {
    const tenant = await createTenantViaApi(platform, {
      limits: { max_active_jobs: 4, requests_per_minute_per_key: 100, allowed_models: ['flux-kontext-dev'], retention_days: 10 },
    });
    const first = await platform.admin.request<Tenant>('PATCH', `/admin/v1/tenants/${tenant.id}`, { json: { limits: { max_active_jobs: 9 } } });
    expect(first.status, first.text).toBe(200);
    expect(TenantSchema.safeParse(first.body).success).toBe(true);
    expect(first.body.limits).toEqual({ max_active_jobs: 9, requests_per_minute_per_key: 100, allowed_models: ['flux-kontext-dev'], retention_days: 10 });

    const second = await platform.admin.request<Tenant>('PATCH', `/admin/v1/tenants/${tenant.id}`, {
      json: { limits: { allowed_models: ['flux-kontext-pro', 'flux-kontext-max'], retention_days: 20 } },
    });
    expect(second.status, second.text).toBe(200);
    expect(second.body.limits).toEqual({
      max_active_jobs: 9,
      requests_per_minute_per_key: 100,
      allowed_models: ['flux-kontext-pro', 'flux-kontext-max'],
      retention_days: 20,
    });

    const all = await platform.admin.request<Tenant>('PATCH', `/admin/v1/tenants/${tenant.id}`, { json: { limits: { allowed_models: null } } });
    expect(all.status, all.text).toBe(200);
    expect(all.body.limits).toEqual({ max_active_jobs: 9, requests_per_minute_per_key: 100, allowed_models: null, retention_days: 20 });

    const nothing = await platform.admin.request<Tenant>('PATCH', `/admin/v1/tenants/${tenant.id}`, { json: { limits: {} } });
    expect(nothing.status).toBe(200);
    expect(nothing.body.limits).toEqual(all.body.limits);
    expect(await getTenantViaApi(platform, tenant.id)).toEqual({ ...tenant, limits: all.body.limits });
  });

  it.for<[string, unknown, string[]]>([
    ['an unknown model', { limits: { allowed_models: ['flux-kontext-ultra'] } }, ['limits.allowed_models.0']],
    ['max_active_jobs 0', { limits: { max_active_jobs: 0 } }, ['limits.max_active_jobs']],
    ['max_active_jobs 100000000', { limits: { max_active_jobs: 100_000_000 } }, ['limits.max_active_jobs']],
    ['retention_days 0', { limits: { retention_days: 0 } }, ['limits.retention_days']],
    ['requests_per_minute_per_key 0', { limits: { requests_per_minute_per_key: 0 } }, ['limits.requests_per_minute_per_key']],
    ['an unknown limit', { limits: { gpus: 8 } }, ['limits.gpus']],
    ['an unknown field', { limits: {}, name: 'renamed' }, ['name']],
    ['no limits at all', {}, ['limits']],
  ])('%s -> 422 naming the field, tenant unchanged', async ([, body, fields], { platform }) => {
    const tenant = await createTenantViaApi(platform, { limits: { allowed_models: ['flux-kontext-dev'] } });
    expectProblem(await platform.admin.request('PATCH', `/admin/v1/tenants/${tenant.id}`, { json: body }), 422, fields);
    expect(await getTenantViaApi(platform, tenant.id)).toEqual(tenant);
  });

  it('an unknown tenant -> 404', async ({ platform }) => {
    expectProblem(await platform.admin.request('PATCH', `/admin/v1/tenants/${UNKNOWN_TENANT}`, { json: { limits: { max_active_jobs: 2 } } }), 404);
    expectProblem(await platform.admin.request('PATCH', `/admin/v1/tenants/${UNKNOWN_TENANT}`, { json: { limits: {} } }), 404);
  });
});

describe('POST /admin/v1/tenants/{id}/credits', () => {
  it('grants and removes credits; the balance follows and the ledger sums to it', async ({ platform, sql }) => {
    const tenant = await createTenantViaApi(platform);
    const grant = await platform.admin.request('POST', `/admin/v1/tenants/${tenant.id}/credits`, { json: { amount: 100, reason: 'welcome' } });
    expect(grant.status, grant.text).toBe(200);
    expect(grant.body).toEqual({ tenant_id: tenant.id, credits: 100, reserved: 0 });
    const debit = await platform.admin.request('POST', `/admin/v1/tenants/${tenant.id}/credits`, { json: { amount: -30, reason: 'refund clawback' } });
    expect(debit.status, debit.text).toBe(200);
    expect(debit.body).toEqual({ tenant_id: tenant.id, credits: 70, reserved: 0 });

    expect((await getTenantViaApi(platform, tenant.id)).credits).toEqual({ available: 70, reserved: 0 });
    expect(await ledger(sql, tenant.id)).toEqual({ sum: 70, entries: 2 });
    const [row] = await sql<{ available: string }[]>`SELECT credits_available::text AS available FROM tenants WHERE id = ${tenant.id}`;
    expect(Number(row?.available)).toBe(70);
    // Each entry records its reason and the balance after it.
    const entries = await sql<{ amount: string; balance_after: string; reason: string }[]>`
      SELECT amount::text, balance_after::text, reason FROM credit_ledger WHERE tenant_id = ${tenant.id} ORDER BY id`;
    expect(entries).toEqual([
      { amount: '100', balance_after: '100', reason: 'welcome' },
      { amount: '-30', balance_after: '70', reason: 'refund clawback' },
    ]);
  });

  it('the ledger includes the opening balance', async ({ platform, sql }) => {
    const tenant = await createTenantViaApi(platform, { credits: 250 });
    await platform.admin.request('POST', `/admin/v1/tenants/${tenant.id}/credits`, { json: { amount: -50, reason: 'x' } });
    expect((await getTenantViaApi(platform, tenant.id)).credits.available).toBe(200);
    expect((await ledger(sql, tenant.id)).sum).toBe(200);
  });

  it('a debit that would go below zero -> 409 naming amount; balance and ledger unchanged', async ({ platform, sql }) => {
    const tenant = await createTenantViaApi(platform, { credits: 70 });
    const before = await ledger(sql, tenant.id);
    const problem = expectProblem(
      await platform.admin.request('POST', `/admin/v1/tenants/${tenant.id}/credits`, { json: { amount: -71, reason: 'too much' } }),
      409,
      ['amount'],
    );
    expect(problem.detail).toContain('70');
    expect((await getTenantViaApi(platform, tenant.id)).credits.available).toBe(70);
    expect(await ledger(sql, tenant.id)).toEqual(before);
    // Exactly down to zero is allowed.
    const toZero = await platform.admin.request('POST', `/admin/v1/tenants/${tenant.id}/credits`, { json: { amount: -70, reason: 'close' } });
    expect(toZero.status).toBe(200);
    expect(toZero.body).toEqual({ tenant_id: tenant.id, credits: 0, reserved: 0 });
    expect((await ledger(sql, tenant.id)).sum).toBe(0);
  });

  it.for<[string, unknown, string[]]>([
    ['amount 0', { amount: 0, reason: 'nothing' }, ['amount']],
    ['a fractional amount', { amount: 1.5, reason: 'x' }, ['amount']],
    ['an absurd amount', { amount: 10_000_000_000, reason: 'typo' }, ['amount']],
    ['no amount', { reason: 'x' }, ['amount']],
    ['no reason', { amount: 5 }, ['reason']],
    ['a blank reason', { amount: 5, reason: '  ' }, ['reason']],
    ['an unknown field', { amount: 5, reason: 'x', currency: 'EUR' }, ['currency']],
  ])('%s -> 422 naming the field, nothing ledgered', async ([, body, fields], { platform, sql }) => {
    const tenant = await createTenantViaApi(platform, { credits: 10 });
    expectProblem(await platform.admin.request('POST', `/admin/v1/tenants/${tenant.id}/credits`, { json: body }), 422, fields);
    expect((await getTenantViaApi(platform, tenant.id)).credits.available).toBe(10);
    expect(await ledger(sql, tenant.id)).toEqual({ sum: 10, entries: 1 });
  });

  it('an unknown tenant -> 404, and no ledger entry appears', async ({ platform, sql }) => {
    expectProblem(await platform.admin.request('POST', `/admin/v1/tenants/${UNKNOWN_TENANT}/credits`, { json: { amount: 5, reason: 'x' } }), 404);
    expect(await ledger(sql, UNKNOWN_TENANT)).toEqual({ sum: 0, entries: 0 });
  });
});

describe('POST /admin/v1/tenants/{id}/keys', () => {
  it("issues a key (plaintext once) that works and sees the tenant's balance", async ({ platform }) => {
    const tenant = await createTenantViaApi(platform, { credits: 321 });
    const response = await platform.admin.request<CreatedKey>('POST', `/admin/v1/tenants/${tenant.id}/keys`, { json: { name: 'primary' } });
    expect(response.status, response.text).toBe(201);
    expect(CreatedApiKeySchema.safeParse(response.body).success).toBe(true);
    const issued = response.body;
    expect(parseApiKey(issued.key)).toEqual({ ok: true, mode: 'live' });
    expect(issued).toMatchObject({
      id: expect.stringMatching(/^key_/),
      name: 'primary',
      prefix: issued.key.slice(0, 12),
      last_four: issued.key.slice(-4),
      mode: 'live',
      status: 'active',
      last_used_at: null,
      expires_at: null,
      replaced_by: null,
    });
    // Default scopes: everything but managing keys.
    expect([...issued.scopes].sort()).toEqual([...DEFAULT_API_KEY_SCOPES].sort());
    expect(issued.scopes).not.toContain('keys:write');

    const client = platform.client(issued.key);
    const credits = await client.request('GET', '/v1/credits');
    expect(credits.status, credits.text).toBe(200);
    expect(credits.body).toEqual({ credits: 321, reserved: 0 });
    await platform.admin.request('POST', `/admin/v1/tenants/${tenant.id}/credits`, { json: { amount: 9, reason: 'top-up' } });
    expect((await client.request('GET', '/v1/credits')).body).toEqual({ credits: 330, reserved: 0 });
    // The key belongs to this tenant only: it cannot manage keys (no keys:write).
    expectProblem(await client.request('GET', '/v1/keys'), 403);
  });

  it('the operator may grant any scopes and test mode', async ({ platform }) => {
    const tenant = await createTenantViaApi(platform);
    const full = await createKeyViaApi(platform, tenant.id, { name: 'admin-made', scopes: [...API_KEY_SCOPES] });
    expect([...full.scopes].sort()).toEqual([...API_KEY_SCOPES].sort());
    expect((await platform.client(full.key).request('GET', '/v1/keys')).status).toBe(200);
    const test = await createKeyViaApi(platform, tenant.id, { name: 'sandbox', mode: 'test', scopes: ['jobs:read'] });
    expect(test.mode).toBe('test');
    expect(parseApiKey(test.key)).toEqual({ ok: true, mode: 'test' });
    expect(test.scopes).toEqual(['jobs:read']);
  });

  it('bad bodies -> 422 naming the field; unknown tenant -> 404; nothing issued', async ({ platform, sql }) => {
    const tenant = await createTenantViaApi(platform);
    const cases: [unknown, string[]][] = [
      [{}, ['name']],
      [{ name: '  ' }, ['name']],
      [{ name: 'x', scopes: [] }, ['scopes']],
      [{ name: 'x', scopes: ['root'] }, ['scopes.0']],
      [{ name: 'x', mode: 'prod' }, ['mode']],
      [{ name: 'x', tenant_id: UNKNOWN_TENANT }, ['tenant_id']],
    ];
    for (const [body, fields] of cases) {
      expectProblem(await platform.admin.request('POST', `/admin/v1/tenants/${tenant.id}/keys`, { json: body }), 422, fields);
    }
    expectProblem(await platform.admin.request('POST', `/admin/v1/tenants/${UNKNOWN_TENANT}/keys`, { json: { name: 'x' } }), 404);
    const [row] = await sql<{ count: string }[]>`SELECT count(*)::text AS count FROM api_keys WHERE tenant_id IN (${tenant.id}, ${UNKNOWN_TENANT})`;
    expect(row?.count).toBe('0');
  });

  it("enforces the tenant's allowed_models: another model -> 403, GET /v1/models lists only the allowed ones", async ({ platform }) => {
    const tenant = await createTenantViaApi(platform, { credits: 100, limits: { allowed_models: ['flux-kontext-pro'] } });
    const issued = await createKeyViaApi(platform, tenant.id);
    const client = platform.client(issued.key);

    const models = await client.request<{ data: { id: string }[] }>('GET', '/v1/models');
    expect(models.status).toBe(200);
    expect(models.body.data.map((model) => model.id)).toEqual(['flux-kontext-pro']);

    for (const model of ['flux-kontext-dev', 'flux-kontext-max']) {
      const refused = await client.submit({ prompt: 'not allowed', seed: 1 }, { model });
      expect(expectProblem(refused, 403).detail).toContain(model);
    }
    // Refusals reserve nothing.
    expect((await client.request('GET', '/v1/credits')).body).toEqual({ credits: 100, reserved: 0 });

    const allowed = await client.submit({ prompt: 'allowed', seed: 1 }, { model: 'flux-kontext-pro' });
    expect(allowed.status, allowed.text).toBe(200);
    const result = await client.waitForResult(allowed.body.id);
    expect(result.status).toBe('Ready');

    // Lifting the restriction: a fresh key (no cached limits) sees every model.
    const lifted = await platform.admin.request<Tenant>('PATCH', `/admin/v1/tenants/${tenant.id}`, { json: { limits: { allowed_models: null } } });
    expect(lifted.status).toBe(200);
    const fresh = platform.client((await createKeyViaApi(platform, tenant.id, { name: 'fresh' })).key);
    const everything = await fresh.request<{ data: { id: string }[] }>('GET', '/v1/models');
    expect(everything.body.data.map((model) => model.id).sort()).toEqual(['flux-kontext-dev', 'flux-kontext-dev-fast', 'flux-kontext-max', 'flux-kontext-pro']);
  });
});

describe('GET /admin/v1/usage', () => {
  it('returns the Usage shape, over every tenant or one', async ({ platform }) => {
    const tenant = await createTenantViaApi(platform, { credits: 100 });
    const client = platform.client((await createKeyViaApi(platform, tenant.id)).key);
    const submitted = await client.submit({ prompt: 'usage', seed: 3 });
    expect(submitted.status, submitted.text).toBe(200);
    expect((await client.waitForResult(submitted.body.id)).status).toBe('Ready');

    const everyone = await platform.admin.request<z.infer<typeof UsageResponseSchema>>('GET', '/admin/v1/usage');
    expect(everyone.status, everyone.text).toBe(200);
    const parsed = UsageResponseSchema.safeParse(everyone.body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(everyone.body.granularity).toBe('day');
    expect(everyone.body.group_by).toBe('none');
    expect(everyone.body.totals.jobs).toBeGreaterThanOrEqual(1);

    const one = await platform.admin.request<z.infer<typeof UsageResponseSchema>>(
      'GET',
      `/admin/v1/usage?tenant_id=${tenant.id}&group_by=model&granularity=hour`,
    );
    expect(one.status, one.text).toBe(200);
    expect(UsageResponseSchema.safeParse(one.body).success).toBe(true);
    expect(one.body.granularity).toBe('hour');
    expect(one.body.group_by).toBe('model');
    expect(one.body.totals.jobs).toBe(1);
    expect(one.body.totals.credits).toBe(submitted.body.cost);
    const groups = one.body.buckets.flatMap((bucket) => bucket.groups);
    expect(groups.map((group) => group.key)).toEqual(['flux-kontext-dev']);

    const nobody = await platform.admin.request<z.infer<typeof UsageResponseSchema>>('GET', `/admin/v1/usage?tenant_id=${UNKNOWN_TENANT}`);
    expect(nobody.status).toBe(200);
    expect(nobody.body.totals.jobs).toBe(0);
  });

  it('bad parameters -> 422 naming them', async ({ platform }) => {
    expectProblem(await platform.admin.request('GET', '/admin/v1/usage?granularity=minute'), 422, ['granularity']);
    expectProblem(await platform.admin.request('GET', '/admin/v1/usage?group_by=colour'), 422, ['group_by']);
    expectProblem(await platform.admin.request('GET', '/admin/v1/usage?from=yesterday'), 422, ['from']);
  });
});
