import { randomBytes } from 'node:crypto';
import { ApiKeyListSchema, ApiKeySchema, CreatedApiKeySchema, DEFAULT_API_KEY_SCOPES, generateApiKey, parseApiKey, type ApiKeyMode, type ApiKeyScope, sleep } from '@kontext/core';
import { revokeApiKey } from '@kontext/db';
import { ALL_API_KEY_SCOPES } from '@kontext/services';
import { describe, expect } from 'vitest';
import type { z } from 'zod';
import type { ApiClient, ApiResponse } from '../../../test/harness/api-client.ts';
import { test } from '../../../test/harness/fixtures.ts';
import { expectProblem } from '../../../test/harness/problems.ts';
import { startTestPlatform, type TestPlatform } from '../../../test/harness/platform.ts';

// A tenant managing its own API keys: create, list, rotate and revoke; the scopes that guard
// them; and how quickly a revoked or rotated-out key stops working, here and on other processes.

type ApiKey = z.infer<typeof ApiKeySchema>;
type CreatedKey = z.infer<typeof CreatedApiKeySchema>;
type KeyList = z.infer<typeof ApiKeyListSchema>;
interface Rotated {
  key: CreatedKey;
  old_key_expires_at: string;
}


interface Owner {
  tenantId: string;
  key: string;
  keyId: string;
  api: ApiClient;
}

// The default key cache TTL (5 s): long enough that "refused at once" cannot be the cache expiring.
test.override({ platformOptions: { workerLoops: 1 } });


const UNKNOWN_KEY_ID = 'key_01M8DFD8DANDT28ZT034WVYBX4';


function expectMissingScope(response: ApiResponse, scope: ApiKeyScope): void {
  const problem = expectProblem(response, 403);
  expect(problem.required_scope).toBe(scope);
  expect(problem.detail).toContain(scope);
}

/** A fresh tenant whose key has every scope (keys:write included), unless told otherwise. */
function newOwner(target: TestPlatform, options: { scopes?: ApiKeyScope[]; mode?: ApiKeyMode; credits?: number } = {}): Promise<Owner> {
  return target.createTenantWithKey({
    name: `Keys ${randomBytes(3).toString('hex')}`,
    credits: options.credits ?? 1000,
    ...(options.scopes ? { scopes: options.scopes } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
  });
}

async function createKey(client: ApiClient, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const response = await client.request<CreatedKey>('POST', '/v1/keys', { json: { name: 'made by test', ...body } });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

async function listKeys(client: ApiClient): Promise<ApiResponse<KeyList>> {
  const response = await client.request<KeyList>('GET', '/v1/keys');
  expect(response.status, response.text).toBe(200);
  return response;
}

async function findListed(client: ApiClient, id: string): Promise<ApiKey> {
  const listed = (await listKeys(client)).body.data.find((key) => key.id === id);
  if (!listed) throw new Error(`key ${id} is not listed`);
  return listed;
}

async function rotate(client: ApiClient, id: string, body?: Record<string, unknown>): Promise<ApiResponse<Rotated>> {
  return client.request<Rotated>('POST', `/v1/keys/${id}/rotate`, body === undefined ? {} : { json: body });
}

/** A plain authenticated call that needs no scope: 200 while the key works, 401 once it does not. */
async function probe(on: TestPlatform, key: string): Promise<ApiResponse> {
  return on.client(key).request('GET', '/v1/models');
}

/** The 401 body any unknown key gets on the probe route, without the per-request id. */
async function unknownKeyBody(on: TestPlatform): Promise<Record<string, unknown>> {
  const response = await probe(on, generateApiKey('live'));
  expect(response.status).toBe(401);
  return withoutRequestId(response.body);
}

function withoutRequestId(body: unknown): Record<string, unknown> {
  const { request_id: _id, ...rest } = body as Record<string, unknown>;
  return rest;
}

const it = test
  /** This test's tenant, its key holding every scope, 1000 credits. */
  .extend('owner', async ({ platform }) => newOwner(platform))
  /** A second platform with a 1 s key cache TTL, for the file (started by the first test that needs it). */
  .extend('secondPlatform', { scope: 'file' }, async ({}, { onCleanup }) => {
    const other = await startTestPlatform({ workerLoops: 0, apiKeyCacheTtlMs: 1000, transport: 'in-process' });
    onCleanup(() => other.stop());
    return other;
  });

const API_KEY_FIELDS = ['created_at', 'expires_at', 'id', 'last_four', 'last_used_at', 'mode', 'name', 'prefix', 'replaced_by', 'scopes', 'status'];

describe('POST /v1/keys', () => {
  it('creates a key: 201 with the plaintext, default scopes without keys:write', async ({ platform, owner }) => {
    const response = await owner.api.request<CreatedKey>('POST', '/v1/keys', { json: { name: '  ci deploys  ' } });
    expect(response.status, response.text).toBe(201);
    expect(CreatedApiKeySchema.safeParse(response.body).success).toBe(true);
    const created = response.body;
    expect(Object.keys(created).sort()).toEqual([...API_KEY_FIELDS, 'key'].sort());
    expect(parseApiKey(created.key)).toEqual({ ok: true, mode: 'live' });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^key_[0-9A-Z]{26}$/),
      name: 'ci deploys',
      prefix: created.key.slice(0, 12),
      last_four: created.key.slice(-4),
      mode: 'live',
      status: 'active',
      last_used_at: null,
      expires_at: null,
      replaced_by: null,
    });
    expect([...created.scopes].sort()).toEqual([...DEFAULT_API_KEY_SCOPES].sort());
    expect(created.scopes).not.toContain('keys:write');

    const client = platform.client(created.key);
    expect((await client.request('GET', '/v1/credits')).body).toEqual({ credits: 1000, reserved: 0 });
    // Default scopes cannot manage keys.
    expectMissingScope(await client.request('GET', '/v1/keys'), 'keys:write');
  });

  it('GET /v1/keys never contains a plaintext key; it shows prefix, last_four, scopes, mode, status and last_used_at', async ({ platform, owner }) => {
    const reader = await createKey(owner.api, { name: 'reader', scopes: ['jobs:read'] });
    const sandbox = await createKey(owner.api, { name: 'sandbox', mode: 'test' });
    const plaintexts = [owner.key, reader.key, sandbox.key];

    const listing = await listKeys(owner.api);
    expect(ApiKeyListSchema.safeParse(listing.body).success).toBe(true);
    for (const plaintext of plaintexts) {
      expect(listing.text).not.toContain(plaintext);
      // Not even the secret part on its own.
      expect(listing.text).not.toContain(plaintext.slice(12, -4));
    }
    expect(listing.body.data.map((key) => key.id)).toEqual([sandbox.id, reader.id, owner.keyId]);
    for (const key of listing.body.data) expect(Object.keys(key).sort()).toEqual(API_KEY_FIELDS);
    const { key: _readerKey, ...readerPublic } = reader;
    expect(listing.body.data[1]).toEqual({ ...readerPublic, last_used_at: null });
    expect(listing.body.data[0]).toMatchObject({ name: 'sandbox', mode: 'test', status: 'active', prefix: sandbox.key.slice(0, 12), last_four: sandbox.key.slice(-4) });

    // Using a key records when (off the request path: poll briefly).
    expect((await probe(platform, reader.key)).status).toBe(200);
    const deadline = Date.now() + 3000;
    let used: ApiKey | undefined;
    while (Date.now() < deadline) {
      used = await findListed(owner.api, reader.id);
      if (used.last_used_at !== null) break;
      await sleep(25);
    }
    expect(used?.last_used_at).not.toBeNull();
    expect(Math.abs(Date.parse(used?.last_used_at ?? '') - Date.now())).toBeLessThan(60_000);
    expect((await findListed(owner.api, sandbox.id)).last_used_at).toBeNull();
  });

  it("lists only the caller's tenant's keys", async ({ platform, owner: mine }) => {
    const theirs = await newOwner(platform);
    const ids = (await listKeys(mine.api)).body.data.map((key) => key.id);
    expect(ids).toEqual([mine.keyId]);
    expect(ids).not.toContain(theirs.keyId);
  });

  it.for<[string, unknown, string[]]>([
    ['no name', {}, ['name']],
    ['a blank name', { name: '   ' }, ['name']],
    ['empty scopes', { name: 'x', scopes: [] }, ['scopes']],
    ['an unknown scope', { name: 'x', scopes: ['admin'] }, ['scopes.0']],
    ['an unknown mode', { name: 'x', mode: 'prod' }, ['mode']],
    ['an unknown field', { name: 'x', tenant_id: 'ten_01M8DFD8DANDT28ZT034WVYBX4' }, ['tenant_id']],
  ])('%s -> 422 naming the field, no key made', async ([, body, fields], { owner }) => {
    expectProblem(await owner.api.request('POST', '/v1/keys', { json: body }), 422, fields);
    expect((await listKeys(owner.api)).body.data).toHaveLength(1);
  });
});

describe('scopes', () => {
  it('a key without keys:write -> 403 on all four key routes, and nothing changes', async ({ platform, owner }) => {
    const limited = await createKey(owner.api, { name: 'no keys:write' });
    expect(limited.scopes).not.toContain('keys:write');
    const client = platform.client(limited.key);
    expectMissingScope(await client.request('POST', '/v1/keys', { json: { name: 'sneaky' } }), 'keys:write');
    expectMissingScope(await client.request('GET', '/v1/keys'), 'keys:write');
    expectMissingScope(await rotate(client, limited.id, {}), 'keys:write');
    expectMissingScope(await rotate(client, owner.keyId), 'keys:write');
    expectMissingScope(await client.request('DELETE', `/v1/keys/${owner.keyId}`), 'keys:write');
    expectMissingScope(await client.request('DELETE', `/v1/keys/${limited.id}`), 'keys:write');

    const keys = (await listKeys(owner.api)).body.data;
    expect(keys.map((key) => [key.id, key.status, key.replaced_by])).toEqual([
      [limited.id, 'active', null],
      [owner.keyId, 'active', null],
    ]);
    expect((await probe(platform, limited.key)).status).toBe(200);
  });

  it('a key with only jobs:read cannot submit (403 naming jobs:write) but can poll', async ({ platform }) => {
    const owner = await newOwner(platform, { credits: 50 });
    const reader = platform.client((await createKey(owner.api, { name: 'reader', scopes: ['jobs:read'] })).key);
    expectMissingScope(await reader.submit({ prompt: 'no', seed: 1 }), 'jobs:write');
    expectMissingScope(await reader.request('POST', '/v1/jobs/job_01M8DFD8DANDT28ZT034WVYBX4/cancel'), 'jobs:write');
    // Nothing was reserved by the refusal.
    expect((await owner.api.request('GET', '/v1/credits')).body).toEqual({ credits: 50, reserved: 0 });

    const submitted = await owner.api.submit({ prompt: 'owner job', seed: 1 });
    expect(submitted.status, submitted.text).toBe(200);
    const result = await reader.waitForResult(submitted.body.id);
    expect(result.status).toBe('Ready');
  });

  it('without credits:read -> 403 on GET /v1/credits; without usage:read -> 403 on GET /v1/usage; without jobs:read -> 403 polling', async ({ platform, owner }) => {
    const writer = platform.client((await createKey(owner.api, { name: 'writer', scopes: ['jobs:write'] })).key);
    expectMissingScope(await writer.request('GET', '/v1/credits'), 'credits:read');
    expectMissingScope(await writer.request('GET', '/v1/usage'), 'usage:read');
    const submitted = await writer.submit({ prompt: 'write only', seed: 2 });
    expect(submitted.status, submitted.text).toBe(200);
    expectMissingScope(await writer.getResult(submitted.body.id), 'jobs:read');
    await owner.api.waitForResult(submitted.body.id);
  });

  it('a key cannot grant scopes it lacks, by creating or by rotating', async ({ platform, owner }) => {
    const manager = await createKey(owner.api, { name: 'manager', scopes: ['keys:write', 'jobs:read'] });
    const client = platform.client(manager.key);

    const escalated = expectProblem(await client.request('POST', '/v1/keys', { json: { name: 'x', scopes: ['jobs:read', 'jobs:write'] } }), 403);
    expect(escalated.detail).toMatch(/: jobs:write$/);
    // The defaults include scopes this key lacks.
    expectProblem(await client.request('POST', '/v1/keys', { json: { name: 'x' } }), 403);
    // Its own scopes or fewer are fine.
    expect((await createKey(client, { name: 'same', scopes: ['keys:write', 'jobs:read'] })).scopes.sort()).toEqual(['jobs:read', 'keys:write']);
    expect((await createKey(client, { name: 'fewer', scopes: ['jobs:read'] })).scopes).toEqual(['jobs:read']);

    // Rotating a more powerful key would hand out its scopes: refused, and the key is untouched.
    expectProblem(await rotate(client, owner.keyId, {}), 403);
    expect(await findListed(owner.api, owner.keyId)).toMatchObject({ status: 'active', replaced_by: null, expires_at: null });
    expect((await listKeys(owner.api)).body.data).toHaveLength(4);
  });

  it('a test key issues only test keys', async ({ platform }) => {
    const owner = await newOwner(platform, { mode: 'test' });
    expect(parseApiKey(owner.key)).toEqual({ ok: true, mode: 'test' });
    expect(expectProblem(await owner.api.request('POST', '/v1/keys', { json: { name: 'live', mode: 'live' } }), 403).detail).toMatch(/test key/);
    // No mode means live: refused too.
    expectProblem(await owner.api.request('POST', '/v1/keys', { json: { name: 'default' } }), 403);
    const test = await createKey(owner.api, { name: 'test', mode: 'test' });
    expect(test.mode).toBe('test');
    expect(parseApiKey(test.key)).toEqual({ ok: true, mode: 'test' });

    // Rotating a live key of the same tenant would issue a live key: refused.
    const live = await platform.admin.request<CreatedKey>('POST', `/admin/v1/tenants/${owner.tenantId}/keys`, { json: { name: 'live one' } });
    expect(live.status).toBe(201);
    expectProblem(await rotate(owner.api, live.body.id, {}), 403);
    expect(await findListed(owner.api, live.body.id)).toMatchObject({ status: 'active', replaced_by: null });
    expect((await listKeys(owner.api)).body.data.filter((key) => key.mode === 'live').map((key) => key.id)).toEqual([live.body.id]);
  });
});

describe('POST /v1/keys/{id}/rotate', () => {
  it('returns a new key that works; the old one keeps working during the grace period, listed as retiring and replaced by the new one', async ({ platform, owner }) => {
    const old = await createKey(owner.api, { name: 'rotating', scopes: ['jobs:read', 'credits:read'] });
    const before = Date.now();
    const response = await rotate(owner.api, old.id, {});
    expect(response.status, response.text).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(['key', 'old_key_expires_at']);
    const { key: fresh, old_key_expires_at: oldExpiresAt } = response.body;
    expect(CreatedApiKeySchema.safeParse(fresh).success).toBe(true);
    expect(fresh).toMatchObject({ name: 'rotating', mode: 'live', status: 'active', replaced_by: null, expires_at: null });
    expect([...fresh.scopes].sort()).toEqual(['credits:read', 'jobs:read']);
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.key).not.toBe(old.key);
    expect(response.text).not.toContain(old.key);
    // Default grace: 24 hours.
    const graceMs = Date.parse(oldExpiresAt) - before;
    expect(graceMs).toBeGreaterThan(24 * 3600 * 1000 - 60_000);
    expect(graceMs).toBeLessThan(24 * 3600 * 1000 + 60_000);

    expect((await platform.client(fresh.key).request('GET', '/v1/credits')).status).toBe(200);
    expect((await platform.client(old.key).request('GET', '/v1/credits')).status).toBe(200);

    const listed = (await listKeys(owner.api)).body.data;
    expect(listed.find((key) => key.id === old.id)).toMatchObject({ status: 'retiring', replaced_by: fresh.id, expires_at: oldExpiresAt });
    expect(listed.find((key) => key.id === fresh.id)).toMatchObject({ status: 'active', replaced_by: null, expires_at: null });
    expect(JSON.stringify(listed)).not.toContain(fresh.key);
  });

  it('takes no body at all (the grace period defaults)', async ({ owner }) => {
    const old = await createKey(owner.api, { name: 'bodiless' });
    const response = await rotate(owner.api, old.id);
    expect(response.status, response.text).toBe(201);
    expect((await findListed(owner.api, old.id)).status).toBe('retiring');
  });

  it('rotating the same key again -> 409, and no extra key is made', async ({ owner }) => {
    const old = await createKey(owner.api, { name: 'twice' });
    expect((await rotate(owner.api, old.id, {})).status).toBe(201);
    const again = expectProblem(await rotate(owner.api, old.id, {}), 409);
    expect(again.detail).toContain(old.id);
    expect((await listKeys(owner.api)).body.data).toHaveLength(3);
  });

  it('a revoked key -> 409; an unknown or another tenant\'s key -> 404; a bad grace period -> 422', async ({ platform, owner }) => {
    const other = await newOwner(platform);
    const revoked = await createKey(owner.api, { name: 'revoked' });
    expect((await owner.api.request('DELETE', `/v1/keys/${revoked.id}`)).status).toBe(200);
    expectProblem(await rotate(owner.api, revoked.id, {}), 409);
    expectProblem(await rotate(owner.api, UNKNOWN_KEY_ID, {}), 404);
    expectProblem(await rotate(owner.api, other.keyId, {}), 404);
    expect(await findListed(other.api, other.keyId)).toMatchObject({ status: 'active', replaced_by: null });

    const target = await createKey(owner.api, { name: 'target' });
    for (const [body, field] of [
      [{ grace_seconds: -1 }, 'grace_seconds'],
      [{ grace_seconds: 1.5 }, 'grace_seconds'],
      [{ grace_seconds: 31 * 24 * 3600 }, 'grace_seconds'],
      [{ grace_seconds: '60' }, 'grace_seconds'],
      [{ grace: 60 }, 'grace'],
    ] as const) {
      expectProblem(await rotate(owner.api, target.id, body), 422, [field]);
    }
    expect(await findListed(owner.api, target.id)).toMatchObject({ status: 'active', replaced_by: null });
    expect((await listKeys(owner.api)).body.data).toHaveLength(3);
  });

  it('with grace_seconds 1, an old key first used during the grace period is refused after ~1.5 s', async ({ platform, owner }) => {
    const old = await createKey(owner.api, { name: 'short grace' });
    const rotated = await rotate(owner.api, old.id, { grace_seconds: 1 });
    expect(rotated.status, rotated.text).toBe(201);
    const rotatedAt = Date.now();
    expect(Date.parse(rotated.body.old_key_expires_at) - rotatedAt).toBeLessThanOrEqual(1000);
    // Works (and is cached) during the grace period...
    expect((await probe(platform, old.key)).status).toBe(200);
    await sleep(rotatedAt + 1500 - Date.now());
    // ...and is refused after it, although the cache TTL (5 s) has not run out.
    const refused = await probe(platform, old.key);
    expect(refused.status).toBe(401);
    expect(withoutRequestId(refused.body)).toEqual(await unknownKeyBody(platform));
    expect((await probe(platform, rotated.body.key.key)).status).toBe(200);
    expect(await findListed(owner.api, old.id)).toMatchObject({ status: 'revoked', replaced_by: rotated.body.key.id });
  });

  it('with grace_seconds 1, an old key cached before the rotation is refused after ~1.5 s (the cache never outlives the key)', async ({ platform, owner }) => {
    const old = await createKey(owner.api, { name: 'cached then rotated' });
    // In use right up to the rotation: this process has it cached with no expiry yet.
    expect((await probe(platform, old.key)).status).toBe(200);
    const rotated = await rotate(owner.api, old.id, { grace_seconds: 1 });
    expect(rotated.status, rotated.text).toBe(201);
    const rotatedAt = Date.now();
    expect((await probe(platform, old.key)).status).toBe(200);
    await sleep(rotatedAt + 1500 - Date.now());
    const refused = await probe(platform, old.key);
    expect(refused.status, 'the rotated-out key still works past its grace period').toBe(401);
    expect(withoutRequestId(refused.body)).toEqual(await unknownKeyBody(platform));
  });
});

describe('DELETE /v1/keys/{id}', () => {
  it('revokes: 200 with status revoked; this server refuses the key at once (401, the same body as any unknown key)', async ({ platform, owner }) => {
    const victim = await createKey(owner.api, { name: 'victim' });
    // Cached on this server by a successful call.
    expect((await probe(platform, victim.key)).status).toBe(200);
    const before = Date.now();
    const response = await owner.api.request<ApiKey>('DELETE', `/v1/keys/${victim.id}`);
    expect(response.status, response.text).toBe(200);
    expect(ApiKeySchema.safeParse(response.body).success).toBe(true);
    expect(Object.keys(response.body).sort()).toEqual(API_KEY_FIELDS);
    expect(response.body).toMatchObject({ id: victim.id, name: 'victim', status: 'revoked', replaced_by: null });
    expect(Math.abs(Date.parse(response.body.expires_at ?? '') - before)).toBeLessThan(5_000);
    expect(response.text).not.toContain(victim.key);

    const refused = await probe(platform, victim.key);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(withoutRequestId(refused.body)).toEqual(await unknownKeyBody(platform));
    // Every route, by either header.
    expectProblem(await platform.client(victim.key).request('GET', '/v1/credits'), 401);
    expectProblem(await platform.api.request('GET', '/v1/models', { key: null, headers: { authorization: `Bearer ${victim.key}` } }), 401);
    expect(await findListed(owner.api, victim.id)).toMatchObject({ status: 'revoked' });
  });

  it('is idempotent: revoking again -> 200, still revoked, same expiry', async ({ owner }) => {
    const victim = await createKey(owner.api, { name: 'twice' });
    const first = await owner.api.request<ApiKey>('DELETE', `/v1/keys/${victim.id}`);
    const second = await owner.api.request<ApiKey>('DELETE', `/v1/keys/${victim.id}`);
    expect(first.status).toBe(200);
    expect(second.status, second.text).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.body.status).toBe('revoked');
  });

  it("another tenant's key id -> 404, and that key keeps working", async ({ platform, owner }) => {
    const other = await newOwner(platform);
    const response = await owner.api.request('DELETE', `/v1/keys/${other.keyId}`);
    const problem = expectProblem(response, 404);
    // Exactly like a key that never existed.
    const missing = expectProblem(await owner.api.request('DELETE', `/v1/keys/${UNKNOWN_KEY_ID}`), 404);
    expect(problem.title).toBe(missing.title);
    expect((await probe(platform, other.key)).status).toBe(200);
    expect(await findListed(other.api, other.keyId)).toMatchObject({ status: 'active', expires_at: null });
  });

  it('revoking a key in its rotation grace period stops it at once; its replacement keeps working', async ({ platform, owner }) => {
    const old = await createKey(owner.api, { name: 'retiring' });
    const rotated = await rotate(owner.api, old.id, {});
    expect(rotated.status).toBe(201);
    expect((await probe(platform, old.key)).status).toBe(200);
    const revoked = await owner.api.request<ApiKey>('DELETE', `/v1/keys/${old.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', replaced_by: rotated.body.key.id });
    expect((await probe(platform, old.key)).status).toBe(401);
    expect((await probe(platform, rotated.body.key.key)).status).toBe(200);
  });

  it('a key may revoke itself, and is refused from the next request', async ({ owner }) => {
    const self = await owner.api.request<ApiKey>('DELETE', `/v1/keys/${owner.keyId}`);
    expect(self.status).toBe(200);
    expect(self.body.status).toBe('revoked');
    expectProblem(await owner.api.request('GET', '/v1/keys'), 401);
  });
});

describe('a key manages only keys it could have issued', () => {
  it('a narrow keys:write key cannot revoke or rotate a more powerful key (403 naming the scopes), and changes nothing', async ({ platform, owner }) => {
    const narrow = await createKey(owner.api, { name: 'key manager', scopes: ['keys:write', 'jobs:read'] });
    const narrowApi = platform.client(narrow.key);
    const revoke = expectProblem(await narrowApi.request('DELETE', `/v1/keys/${owner.keyId}`), 403);
    expect(revoke.detail).toContain('jobs:write');
    expectProblem(await rotate(narrowApi, owner.keyId), 403);
    expect((await findListed(owner.api, owner.keyId)).status).toBe('active');
    expect((await probe(platform, owner.key)).status).toBe(200);

    // A key it could have issued (a subset of its scopes) it may revoke, and itself too.
    const reader = await createKey(narrowApi, { name: 'reader', scopes: ['jobs:read'] });
    expect((await narrowApi.request('DELETE', `/v1/keys/${reader.id}`)).status).toBe(200);
    expect((await narrowApi.request('DELETE', `/v1/keys/${narrow.id}`)).status).toBe(200);
  });

  it('a test key manages only test keys', async ({ platform, owner }) => {
    const testKey = await createKey(owner.api, { name: 'test manager', mode: 'test', scopes: [...ALL_API_KEY_SCOPES] });
    const testApi = platform.client(testKey.key);
    const problem = expectProblem(await testApi.request('DELETE', `/v1/keys/${owner.keyId}`), 403);
    expect(problem.detail).toMatch(/test key/);
    const otherTest = await createKey(owner.api, { name: 'ci', mode: 'test' });
    expect((await testApi.request('DELETE', `/v1/keys/${otherTest.id}`)).status).toBe(200);
  });
});

describe('revocation seen by other API processes (their key caches)', () => {
  /** Polls until the key is refused; returns when that happened. */
  async function pollUntilRefused(send: () => Promise<number>, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await send();
      if (status === 401) return Date.now();
      expect(status).toBe(200);
      if (Date.now() > deadline) throw new Error(`key still accepted after ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  it('revoked in the database behind this process: works from cache, then refused within the 1 s TTL', async ({ secondPlatform: other }) => {
    const owner = await newOwner(other);
    const warmedFrom = Date.now();
    expect((await probe(other, owner.key)).status).toBe(200);
    // As another instance would: the row changes, this process's cache is not told.
    expect(await revokeApiKey(other.ctx.db, owner.keyId)).toBe(true);
    const revokedAt = Date.now();
    expect((await probe(other, owner.key)).status).toBe(200);

    const refusedAt = await pollUntilRefused(async () => (await probe(other, owner.key)).status, 3000);
    expect(refusedAt - revokedAt).toBeLessThan(2000);
    // It was the cache entry running out, not anything sooner.
    expect(refusedAt - warmedFrom).toBeGreaterThanOrEqual(1000);
    expect(withoutRequestId((await probe(other, owner.key)).body)).toEqual(await unknownKeyBody(other));
  });

  it('two API instances on one database: revoked through one, refused there at once and by the other within its TTL', async ({ secondPlatform: other, startApiProcess }) => {
    const second = await startApiProcess({ databaseUrl: other.database.url, settings: { apiKeyCacheTtlMs: 1000 } });
    const onSecond = async (key: string) => (await second.app.request('/v1/models', { headers: { 'x-key': key } })).status;

    const owner = await newOwner(other);
    const victim = await createKey(owner.api, { name: 'shared' });
    expect(await onSecond(victim.key)).toBe(200);
    expect((await probe(other, victim.key)).status).toBe(200);

    const revoked = await owner.api.request('DELETE', `/v1/keys/${victim.id}`);
    expect(revoked.status).toBe(200);
    const revokedAt = Date.now();
    expect((await probe(other, victim.key)).status).toBe(401);
    // The second instance still trusts its cache for a moment, then asks the database.
    expect(await onSecond(victim.key)).toBe(200);
    const refusedAt = await pollUntilRefused(() => onSecond(victim.key), 3000);
    expect(refusedAt - revokedAt).toBeLessThan(2000);
  });
});
