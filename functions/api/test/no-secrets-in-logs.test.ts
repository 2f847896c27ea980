import { randomBytes } from 'node:crypto';
import { ALL_API_KEY_SCOPES } from '@kontext/services';
import { generateApiKey, type ApiKeySchema, type CreatedApiKeySchema, type SubmitResponse, type TenantSchema, sleep } from '@kontext/core';
import { describe, expect } from 'vitest';
import type { z } from 'zod';
import type { ApiClient, ApiResponse } from '../../../test/harness/api-client.ts';
import { test } from '../../../test/harness/fixtures.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';

// A realistic operator and tenant session: tenants and keys made through the operator API, keys
// created, rotated and revoked, jobs submitted (with webhook secrets) and polled, wrong keys and
// wrong admin tokens sent. Afterwards no log line may hold any secret seen in the session, and no
// response but the one that issued a key may hold a plaintext key.

type Tenant = z.infer<typeof TenantSchema>;
type CreatedKey = z.infer<typeof CreatedApiKeySchema>;
type ApiKey = z.infer<typeof ApiKeySchema>;

interface Exchange {
  label: string;
  status: number;
  text: string;
  headers: [string, string][];
  /** The one plaintext this response is meant to carry (create and rotate), if any. */
  issues?: string;
}

interface Session {
  /** Every secret the session saw, by what it is. */
  secrets: ReadonlyMap<string, string>;
  webhookSecrets: readonly string[];
  exchanges: readonly Exchange[];
  jobIds: readonly string[];
}

test.override({ platformOptions: { workerLoops: 1 } });

/** The session, played once for the file before its first check; the checks only read it. */
const it = test.extend('session', { scope: 'file' }, async ({ platform }) => runSession(platform));

function mistype(key: string): string {
  return key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
}

/** Plays the session against the platform and returns what it saw; nothing is shared or mutated afterwards. */
async function runSession(target: TestPlatform): Promise<Session> {
  const secrets = new Map<string, string>([
    ['dev key', target.devApiKey],
    ['admin token', target.adminToken],
  ]);
  const webhookSecrets: string[] = [];
  const exchanges: Exchange[] = [];
  const jobIds: string[] = [];
  const admin = target.admin;

  async function call<T = unknown>(
    label: string,
    client: ApiClient,
    method: string,
    path: string,
    options: Parameters<ApiClient['request']>[2] = {},
    expected?: number,
  ): Promise<ApiResponse<T>> {
    const response = await client.request<T>(method, path, options);
    exchanges.push({ label, status: response.status, text: response.text, headers: [...response.headers.entries()] });
    if (expected !== undefined) expect(response.status, `${label}: ${response.text}`).toBe(expected);
    return response;
  }

  function recordIssued(label: string, key: string): void {
    const last = exchanges.at(-1);
    if (last) last.issues = key;
    secrets.set(label, key);
  }

  // --- The operator, including mistakes -------------------------------------------------
  const wrongAdmin = `kxadmin_${randomBytes(32).toString('base64url')}`;
  const nearlyAdmin = mistype(target.adminToken);
  secrets.set('wrong admin token', wrongAdmin);
  secrets.set('mistyped admin token', nearlyAdmin);
  await call('wrong admin token', admin, 'GET', '/admin/v1/tenants', { key: wrongAdmin }, 401);
  await call('mistyped admin token', admin, 'POST', '/admin/v1/tenants', { key: nearlyAdmin, json: { name: 'nope' } }, 401);
  await call('admin token as x-key', admin, 'GET', '/admin/v1/tenants', { key: null, headers: { 'x-key': target.adminToken } }, 403);
  await call('dev key as admin bearer', admin, 'GET', '/admin/v1/usage', { key: target.devApiKey }, 403);
  // The admin token sent to the tenant API.
  await call('admin token on tenant API', target.api, 'GET', '/v1/credits', { key: null, headers: { authorization: `Bearer ${target.adminToken}` } }, 401);

  const acme = await call<Tenant>('create tenant', admin, 'POST', '/admin/v1/tenants', {
    json: { name: 'Acme', credits: 500, limits: { max_active_jobs: 5, requests_per_minute_per_key: 1000 } },
  }, 201);
  const globex = await call<Tenant>('create tenant', admin, 'POST', '/admin/v1/tenants', { json: { name: 'Globex', credits: 50 } }, 201);
  await call('list tenants', admin, 'GET', '/admin/v1/tenants?limit=2', {}, 200);
  await call('get tenant', admin, 'GET', `/admin/v1/tenants/${acme.body.id}`, {}, 200);
  await call('patch tenant', admin, 'PATCH', `/admin/v1/tenants/${globex.body.id}`, { json: { limits: { allowed_models: ['flux-kontext-dev'] } } }, 200);
  await call('grant credits', admin, 'POST', `/admin/v1/tenants/${acme.body.id}/credits`, { json: { amount: 100, reason: 'welcome' } }, 200);
  await call('overdraw credits', admin, 'POST', `/admin/v1/tenants/${globex.body.id}/credits`, { json: { amount: -51, reason: 'oops' } }, 409);

  const issue = async (label: string, tenantId: string, body: Record<string, unknown>): Promise<CreatedKey> => {
    const response = await call<CreatedKey>(label, admin, 'POST', `/admin/v1/tenants/${tenantId}/keys`, { json: body }, 201);
    recordIssued(label, response.body.key);
    return response.body;
  };
  const acmeAdmin = await issue('acme manager key', acme.body.id, { name: 'manager', scopes: ALL_API_KEY_SCOPES });
  const acmeApp = await issue('acme app key', acme.body.id, { name: 'app' });
  const acmeTest = await issue('acme test key', acme.body.id, { name: 'sandbox', mode: 'test', scopes: ALL_API_KEY_SCOPES });
  const globexKey = await issue('globex key', globex.body.id, { name: 'globex' });

  // --- A tenant managing its own keys --------------------------------------------------
  const manager = target.client(acmeAdmin.key);
  const created = await call<CreatedKey>('create key', manager, 'POST', '/v1/keys', { json: { name: 'ci' } }, 201);
  recordIssued('ci key', created.body.key);
  const createdTest = await call<CreatedKey>('create test key', target.client(acmeTest.key), 'POST', '/v1/keys', {
    json: { name: 'test ci', mode: 'test' },
  }, 201);
  recordIssued('test ci key', createdTest.body.key);
  await call('list keys', manager, 'GET', '/v1/keys', {}, 200);

  const rotated = await call<{ key: CreatedKey }>('rotate key', manager, 'POST', `/v1/keys/${created.body.id}/rotate`, { json: { grace_seconds: 60 } }, 201);
  recordIssued('rotated ci key', rotated.body.key.key);
  const rotatedAgain = await call<{ key: CreatedKey }>('rotate key again', manager, 'POST', `/v1/keys/${rotated.body.key.id}/rotate`, {
    json: { grace_seconds: 0 },
  }, 201);
  recordIssued('twice rotated ci key', rotatedAgain.body.key.key);
  await call('rotate a retiring key', manager, 'POST', `/v1/keys/${created.body.id}/rotate`, { json: {} }, 409);
  await call('old key in grace', target.client(created.body.key), 'GET', '/v1/models', {}, 200);
  await call('old key past grace', target.client(rotated.body.key.key), 'GET', '/v1/models', {}, 401);
  await call<ApiKey>('revoke key', manager, 'DELETE', `/v1/keys/${rotatedAgain.body.key.id}`, {}, 200);
  await call<ApiKey>('revoke key again', manager, 'DELETE', `/v1/keys/${rotatedAgain.body.key.id}`, {}, 200);
  await call('revoked key', target.client(rotatedAgain.body.key.key), 'POST', '/v1/flux-kontext-dev', { json: { prompt: 'x' } }, 401);
  await call("another tenant's key", manager, 'DELETE', `/v1/keys/${globexKey.id}`, {}, 404);
  await call('escalation', target.client(acmeApp.key), 'POST', '/v1/keys', { json: { name: 'more', scopes: ['keys:write'] } }, 403);
  await call('list keys after', manager, 'GET', '/v1/keys', {}, 200);

  // --- Jobs, with webhook secrets ------------------------------------------------------
  const app = target.client(acmeApp.key);
  const submitWithSecret = async (label: string, client: ApiClient, model: string, expected: number, extra: Record<string, unknown> = {}) => {
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    webhookSecrets.push(secret);
    const response = await call<SubmitResponse>(label, client, 'POST', `/v1/${model}`, {
      json: { prompt: `${label} render`, seed: 7, webhook_url: 'http://127.0.0.1:9/kontext', webhook_secret: secret, ...extra },
    }, expected);
    if (expected === 200) jobIds.push(response.body.id);
    return response;
  };
  await submitWithSecret('live job', app, 'flux-kontext-dev', 200);
  await submitWithSecret('pro job', app, 'flux-kontext-pro', 200);
  await submitWithSecret('test job', target.client(acmeTest.key), 'flux-kontext-max', 200);
  await submitWithSecret('invalid job', app, 'flux-kontext-dev', 422, { steps: 0, mask: 'x' });
  await submitWithSecret('not allowed model', target.client(globexKey.key), 'flux-kontext-pro', 403);
  const tooLong = `whsec_${'s'.repeat(300)}`;
  webhookSecrets.push(tooLong);
  await call('oversized webhook secret', app, 'POST', '/v1/flux-kontext-dev', { json: { prompt: 'x', webhook_secret: tooLong } }, 422);

  for (const id of jobIds) {
    const key = id === jobIds[2] ? acmeTest.key : acmeApp.key;
    const client = target.client(key);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const polled = await call<{ status: string }>('poll', client, 'GET', `/v1/get_result?id=${id}`);
      expect(polled.status).toBe(200);
      if (polled.body.status !== 'Pending') {
        expect(polled.body.status).toBe('Ready');
        break;
      }
      if (Date.now() > deadline) throw new Error(`job ${id} never finished`);
      await sleep(25);
    }
  }
  await call('credits', app, 'GET', '/v1/credits', {}, 200);
  await call('usage', app, 'GET', '/v1/usage?group_by=key', {}, 200);
  await call('platform usage', admin, 'GET', '/admin/v1/usage?group_by=key', {}, 200);
  await call('tenant after jobs', admin, 'GET', `/admin/v1/tenants/${acme.body.id}`, {}, 200);

  // --- Wrong keys, every way a client gets them wrong -----------------------------------
  const wrongKeys: [string, string][] = [
    ['unknown live key', generateApiKey('live')],
    ['unknown test key', generateApiKey('test')],
    ['mistyped key', mistype(acmeApp.key)],
    ['truncated key', acmeApp.key.slice(0, -3)],
    ['foreign-looking key', `sk-${randomBytes(24).toString('hex')}`],
  ];
  for (const [label, wrong] of wrongKeys) {
    secrets.set(label, wrong);
    await call(`${label} (x-key)`, target.api, 'POST', '/v1/flux-kontext-dev', { key: wrong, json: { prompt: 'x' } }, 401);
    await call(`${label} (bearer)`, target.api, 'GET', `/v1/get_result?id=${jobIds[0]}`, { key: null, headers: { authorization: `Bearer ${wrong}` } }, 401);
    await call(`${label} (keys)`, target.api, 'GET', '/v1/keys', { key: wrong }, 401);
    await call(`${label} (admin)`, admin, 'GET', '/admin/v1/tenants', { key: wrong }, label.startsWith('unknown') ? 403 : 401);
    // A key put in the query string by mistake: the access log never writes the query.
    await call(`${label} (query)`, target.api, 'GET', `/v1/models?key=${encodeURIComponent(wrong)}`, { key: null }, 401);
  }
  await call('dev key in query', target.api, 'GET', `/v1/credits?x-key=${target.devApiKey}`, { key: null }, 401);
  await call('dev key', target.api, 'GET', '/v1/models', {}, 200);

  return { secrets, webhookSecrets, exchanges, jobIds };
}

/** The secret part of a credential: a log holding that alone would still leak it. */
function secretBody(secret: string): string {
  const prefixed = /^(kx_(?:live|test)_|kxadmin_|whsec_|sk-)(.+)$/.exec(secret);
  return prefixed?.[2] ?? secret;
}

describe('after a realistic session', () => {
  it('the logs captured the session (so the checks below are not vacuous)', ({ platform, session }) => {
    const lines = platform.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((line) => line.message === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(session.exchanges.length);
    const statuses = new Set(requests.map((line) => line.status));
    for (const status of [200, 201, 401, 403, 404, 409, 422]) expect(statuses).toContain(status);
    expect(requests.some((line) => line.path === '/admin/v1/tenants' && line.status === 401)).toBe(true);
    expect(requests.some((line) => typeof line.path === 'string' && line.path.endsWith('/rotate'))).toBe(true);
    for (const id of session.jobIds) expect(platform.logs.join('\n')).toContain(id);
  });

  it('no log line contains the dev key, the admin token, an issued key, a wrong key or token, or a webhook secret', ({ platform, session }) => {
    expect(session.secrets.size).toBeGreaterThanOrEqual(17);
    const logs = platform.logs.join('\n');
    for (const [label, secret] of session.secrets) {
      expect(logs.includes(secret), `${label} appears in the logs`).toBe(false);
      expect(logs.includes(secretBody(secret)), `the secret part of the ${label} appears in the logs`).toBe(false);
    }
    for (const secret of session.webhookSecrets) {
      expect(logs.includes(secretBody(secret)), 'a webhook secret appears in the logs').toBe(false);
    }
  });

  it('no response other than create and rotate contains a plaintext key, token or webhook secret', ({ session }) => {
    const credentials = [...session.secrets.entries()];
    let checked = 0;
    for (const exchange of session.exchanges) {
      const headers = exchange.headers.map(([name, value]) => `${name}: ${value}`).join('\n');
      for (const [label, secret] of credentials) {
        // The issued key itself, and any mangled copy of it the session later sent, may appear where it was issued.
        if (exchange.issues !== undefined && exchange.issues.includes(secretBody(secret))) continue;
        expect(exchange.text.includes(secret), `${exchange.label} (${exchange.status}) returned the ${label}`).toBe(false);
        expect(exchange.text.includes(secretBody(secret)), `${exchange.label} (${exchange.status}) returned part of the ${label}`).toBe(false);
        expect(headers.includes(secret), `${exchange.label} returned the ${label} in a header`).toBe(false);
      }
      for (const secret of session.webhookSecrets) {
        expect(exchange.text.includes(secretBody(secret)), `${exchange.label} returned a webhook secret`).toBe(false);
      }
      checked += 1;
    }
    expect(checked).toBe(session.exchanges.length);
  });

  it('each create or rotate response carries exactly its own new key', ({ session }) => {
    const issuing = session.exchanges.filter((exchange) => exchange.issues !== undefined);
    expect(issuing.map((exchange) => exchange.label)).toEqual([
      'acme manager key',
      'acme app key',
      'acme test key',
      'globex key',
      'create key',
      'create test key',
      'rotate key',
      'rotate key again',
    ]);
    for (const exchange of issuing) {
      expect(exchange.status).toBe(201);
      expect(exchange.text).toContain(exchange.issues);
    }
  });

  it('the database keeps hashes, never a plaintext key', async ({ session, sql }) => {
    const rows = await sql<{ row: string }[]>`SELECT row_to_json(api_keys)::text AS row FROM api_keys`;
    expect(rows.length).toBeGreaterThanOrEqual(9);
    const table = rows.map((row) => row.row).join('\n');
    for (const [label, secret] of session.secrets) {
      expect(table.includes(secretBody(secret)), `api_keys holds the ${label}`).toBe(false);
    }
  });

  it('a key a client puts in a URL path is masked in the access log', async ({ platform }) => {
    const misplaced = platform.devApiKey;
    const response = await platform.api.request('DELETE', `/v1/keys/${misplaced}`);
    expect(response.status).toBe(404);
    const lines = platform.logs.filter((line) => line.includes('"message":"request"') && line.includes('/v1/keys/'));
    expect(lines.some((line) => line.includes('/v1/keys/[redacted]'))).toBe(true);
    expect(platform.logs.join('\n')).not.toContain(misplaced);
  });
});
