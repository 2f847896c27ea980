import { AuditLogSchema, LedgerPageSchema, ROLE_SCOPES, type ApiKeyScope } from '@kontext/core';
import { describe, expect } from 'vitest';
import type { z } from 'zod';
import type { ApiClient, ApiResponse } from '../../../test/harness/api-client.ts';
import { ConsoleSession } from '../../../test/harness/console-session.ts';
import { it } from '../../../test/harness/fixtures.ts';
import { joinTenant, operatorInvite, PASSWORD, signInAgain, tokenOfLink, uniqueEmail } from '../../../test/harness/people.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';
import { expectProblem } from '../../../test/harness/problems.ts';

// A tenant's team through the HTTP API: what each role's session may do (authorized exactly as a
// key with the role's scopes), who may grant or take the owner role, the last owner, that a role
// change or a removal reaches a live session at once; another tenant's session aimed at this
// tenant's resources; the audit log; and the credit ledger.

type AuditLog = z.infer<typeof AuditLogSchema>;
type AuditEntry = AuditLog['data'][number];
type LedgerPage = z.infer<typeof LedgerPageSchema>;
type LedgerEntry = LedgerPage['data'][number];

// One worker loop: the ledger and isolation tests run jobs to the end.
it.override({ platformOptions: { transport: 'in-process', workerLoops: 1 } });

const SLOW = 60_000;

function expectMissingScope(response: ApiResponse, scope: ApiKeyScope, role: string): void {
  const problem = expectProblem(response, 403);
  expect(problem.required_scope, response.text).toBe(scope);
  expect(problem.detail).toContain(`(${role})`);
}

describe('what a role may do', () => {
  it(
    'a viewer (and billing) reads, and is refused every write and the audit log with the scope it lacks',
    async ({ platform, tenant }) => {
      const done = await tenant.api.submitAndWait({ prompt: 'a job to read' });
      for (const role of ['viewer', 'billing'] as const) {
        const { browser } = await joinTenant(platform, tenant.tenantId, role);
        for (const path of ['/v1/credits', '/v1/usage', '/v1/jobs', '/v1/members', '/v1/invitations', '/v1/credits/ledger', '/v1/webhooks/endpoints', '/v1/models', `/v1/jobs/${done.id}`]) {
          const response = await browser.request('GET', path);
          expect(response.status, `${role} GET ${path}: ${response.text}`).toBe(200);
        }
        const jobs = await browser.request<{ data: { id: string }[] }>('GET', '/v1/jobs');
        expect(jobs.body.data.map((job) => job.id)).toEqual([done.id]);
        expectMissingScope(await browser.request('POST', '/v1/keys', { json: { name: 'nope' } }), 'keys:write', role);
        expectMissingScope(await browser.request('GET', '/v1/keys'), 'keys:write', role);
        expectMissingScope(await browser.request('POST', '/v1/webhooks/endpoints', { json: { url: 'http://127.0.0.1:9/hook' } }), 'webhooks:write', role);
        expectMissingScope(await browser.request('POST', '/v1/invitations', { json: { email: uniqueEmail(), role: 'viewer' } }), 'members:write', role);
        expectMissingScope(await browser.request('GET', '/v1/audit-log'), 'audit:read', role);
        expectMissingScope(await browser.request('POST', `/v1/jobs/${done.id}/cancel`), 'jobs:write', role);
        expectMissingScope(await browser.request('DELETE', `/v1/keys/${tenant.keyId}`), 'keys:write', role);
      }
      expect((await tenant.api.request<{ data: unknown[] }>('GET', '/v1/invitations')).body.data).toEqual([]);
      expect((await tenant.api.request<{ data: unknown[] }>('GET', '/v1/webhooks/endpoints')).body.data).toEqual([]);
    },
    SLOW,
  );

  it(
    'a developer creates a key that then works, and revokes it (401 from then on); not beyond its own scopes',
    async ({ platform, tenant }) => {
      const { browser } = await joinTenant(platform, tenant.tenantId, 'developer');
      const created = await browser.request<{ id: string; key: string; scopes: string[] }>('POST', '/v1/keys', { json: { name: 'from the console' } });
      expect(created.status, created.text).toBe(201);
      const key = platform.client(created.body.key);
      expect((await key.request('GET', '/v1/jobs')).status).toBe(200);
      const submitted = await key.submit({ prompt: 'with the new key' });
      expect(submitted.status, submitted.text).toBe(200);

      expectProblem(await browser.request('POST', '/v1/keys', { json: { name: 'too strong', scopes: ['members:write'] } }), 403);
      // The tenant's all-scope key is beyond a developer's authority.
      expectProblem(await browser.request('DELETE', `/v1/keys/${tenant.keyId}`), 403);
      expect((await browser.request('POST', '/v1/webhooks/endpoints', { json: { url: 'http://127.0.0.1:9/dev' } })).status).toBe(201);
      expectMissingScope(await browser.request('POST', '/v1/invitations', { json: { email: uniqueEmail(), role: 'viewer' } }), 'members:write', 'developer');
      expectMissingScope(await browser.request('GET', '/v1/audit-log'), 'audit:read', 'developer');

      const revoked = await browser.request<{ status: string }>('DELETE', `/v1/keys/${created.body.id}`);
      expect(revoked.status, revoked.text).toBe(200);
      expect(revoked.body.status).toBe('revoked');
      expectProblem(await key.request('GET', '/v1/jobs'), 401);
      expect((await tenant.api.request('GET', '/v1/jobs')).status).toBe(200);
    },
    SLOW,
  );

  it('a session cannot submit a job: 403, use an API key', async ({ platform, tenant }) => {
    const { browser } = await joinTenant(platform, tenant.tenantId, 'owner');
    const refused = await browser.request('POST', '/v1/flux-kontext-dev', { json: { prompt: 'from the console' } });
    expect(expectProblem(refused, 403).detail).toMatch(/API key/);
    const done = await tenant.api.submitAndWait({ prompt: 'a parent' });
    expect(expectProblem(await browser.request('POST', `/v1/jobs/${done.id}/edits`, { json: { prompt: 'an edit' } }), 403).detail).toMatch(/API key/);
    expect((await tenant.api.request<{ data: unknown[] }>('GET', '/v1/jobs')).body.data).toHaveLength(1);
    const credits = await browser.request<{ credits: number; reserved: number }>('GET', '/v1/credits');
    expect(credits.body.reserved).toBe(0);
  });

  it(
    'only an owner grants, takes or withdraws the owner role; an admin is refused (403)',
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'owner');
      const admin = await joinTenant(platform, tenant.tenantId, 'admin');
      const developer = await joinTenant(platform, tenant.tenantId, 'developer');
      const ownerInvitation = await operatorInvite(platform, tenant.tenantId, uniqueEmail('future-owner'), 'owner');

      // Even with the sole owner of the team as the target: a refusal of authority, not the last-owner conflict.
      expectProblem(await admin.browser.request('PATCH', `/v1/members/${owner.userId}`, { json: { role: 'admin' } }), 403);
      expectProblem(await admin.browser.request('DELETE', `/v1/members/${owner.userId}`), 403);
      expectProblem(await admin.browser.request('POST', '/v1/invitations', { json: { email: uniqueEmail(), role: 'owner' } }), 403, ['role']);
      expectProblem(await admin.browser.request('PATCH', `/v1/members/${admin.userId}`, { json: { role: 'owner' } }), 403);
      expectProblem(await admin.browser.request('PATCH', `/v1/members/${developer.userId}`, { json: { role: 'owner' } }), 403);
      expectProblem(await admin.browser.request('DELETE', `/v1/invitations/${ownerInvitation.id}`), 403);
      // An admin manages everyone else.
      const promoted = await admin.browser.request<{ role: string }>('PATCH', `/v1/members/${developer.userId}`, { json: { role: 'admin' } });
      expect(promoted.status, promoted.text).toBe(200);
      expect(promoted.body).toMatchObject({ user_id: developer.userId, role: 'admin' });
      const invited = await admin.browser.request<{ id: string; invited_by: string; email_sent: boolean }>('POST', '/v1/invitations', { json: { email: uniqueEmail(), role: 'admin' } });
      expect(invited.status, invited.text).toBe(201);
      expect(invited.body.invited_by).toBe(admin.userId);
      expect(invited.body).not.toHaveProperty('accept_url');

      const members = async () => Object.fromEntries((await owner.browser.request<{ data: { user_id: string; role: string }[] }>('GET', '/v1/members')).body.data.map((m) => [m.user_id, m.role]));
      expect(await members()).toEqual({ [owner.userId]: 'owner', [admin.userId]: 'admin', [developer.userId]: 'admin' });

      // The owner may do all of it.
      expect((await owner.browser.request('POST', '/v1/invitations', { json: { email: uniqueEmail(), role: 'owner' } })).status).toBe(201);
      expect((await owner.browser.request('DELETE', `/v1/invitations/${ownerInvitation.id}`)).status).toBe(204);
      expect((await owner.browser.request('PATCH', `/v1/members/${admin.userId}`, { json: { role: 'owner' } })).status).toBe(200);
      expect((await owner.browser.request('PATCH', `/v1/members/${admin.userId}`, { json: { role: 'admin' } })).status).toBe(200);
      expect((await owner.browser.request('PATCH', `/v1/members/${developer.userId}`, { json: { role: 'owner' } })).status).toBe(200);
      expect((await owner.browser.request('DELETE', `/v1/members/${developer.userId}`)).status).toBe(204);
      expect(await members()).toEqual({ [owner.userId]: 'owner', [admin.userId]: 'admin' });
      expectProblem(await owner.browser.request('PATCH', `/v1/members/usr_01M8DFD8DANDT28ZT034WVYBX4`, { json: { role: 'viewer' } }), 404);
      expectProblem(await owner.browser.request('PATCH', `/v1/members/${admin.userId}`, { json: { role: 'superuser' } }), 422, ['role']);
    },
    SLOW,
  );

  it(
    'the last owner can be neither demoted nor removed, nor leave (409); with a second owner, either can go',
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'owner');
      expectProblem(await owner.browser.request('PATCH', `/v1/members/${owner.userId}`, { json: { role: 'admin' } }), 409);
      expectProblem(await owner.browser.request('DELETE', `/v1/members/${owner.userId}`), 409);
      // Nor by an API key with members:write, which acts as an admin would.
      expectProblem(await tenant.api.request('DELETE', `/v1/members/${owner.userId}`), 403);
      expect((await owner.browser.current()).body.tenant.role).toBe('owner');

      const second = await joinTenant(platform, tenant.tenantId, 'owner');
      expect((await owner.browser.request('PATCH', `/v1/members/${owner.userId}`, { json: { role: 'admin' } })).status).toBe(200);
      expect((await owner.browser.current()).body.tenant.role).toBe('admin');
      // Now `second` is the last owner.
      expectProblem(await second.browser.request('DELETE', `/v1/members/${second.userId}`), 409);
      expect((await second.browser.request('PATCH', `/v1/members/${owner.userId}`, { json: { role: 'owner' } })).status).toBe(200);
      expect((await second.browser.request('DELETE', `/v1/members/${second.userId}`)).status).toBe(204);
      expectProblem(await second.browser.current(), 401);
    },
    SLOW,
  );

  it(
    'two owners demoting each other at once: one succeeds, the other is the last owner (409)',
    async ({ platform, tenant }) => {
      const first = await joinTenant(platform, tenant.tenantId, 'owner');
      const second = await joinTenant(platform, tenant.tenantId, 'owner');
      const answers = await Promise.all([
        first.browser.request('PATCH', `/v1/members/${second.userId}`, { json: { role: 'admin' } }),
        second.browser.request('PATCH', `/v1/members/${first.userId}`, { json: { role: 'admin' } }),
      ]);
      expect(answers.map((answer) => answer.status).sort(), answers.map((answer) => answer.text).join('\n')).toEqual([200, 409]);
      const roles = (await tenant.api.request<{ data: { role: string }[] }>('GET', '/v1/members')).body.data.map((member) => member.role);
      expect(roles.sort()).toEqual(['admin', 'owner']);
    },
    SLOW,
  );

  it(
    "a role change applies to the member's live session at its next request",
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'owner');
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      expectMissingScope(await member.browser.request('POST', '/v1/keys', { json: { name: 'not yet' } }), 'keys:write', 'viewer');

      expect((await owner.browser.request('PATCH', `/v1/members/${member.userId}`, { json: { role: 'developer' } })).status).toBe(200);
      expect((await member.browser.request('POST', '/v1/keys', { json: { name: 'now' } })).status).toBe(201);
      const current = await member.browser.current();
      expect(current.body.tenant.role).toBe('developer');
      expect(current.body.scopes).toEqual([...ROLE_SCOPES.developer]);

      expect((await owner.browser.request('PATCH', `/v1/members/${member.userId}`, { json: { role: 'viewer' } })).status).toBe(200);
      expectMissingScope(await member.browser.request('POST', '/v1/keys', { json: { name: 'no more' } }), 'keys:write', 'viewer');
      expect((await member.browser.current()).body.scopes).toEqual([...ROLE_SCOPES.viewer]);
    },
    SLOW,
  );

  it(
    "a removed member's sessions there end at once; their sessions in other tenants carry on",
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'owner');
      const member = await joinTenant(platform, tenant.tenantId, 'developer');
      const secondDevice = await signInAgain(platform, member);
      const other = await platform.createTenantWithKey({ name: 'Elsewhere' });
      const elsewhere = await joinTenant(platform, other.tenantId, 'viewer', { email: member.email, password: member.password });

      expect((await owner.browser.request('DELETE', `/v1/members/${member.userId}`)).status).toBe(204);
      for (const browser of [member.browser, secondDevice]) {
        expectProblem(await browser.request('GET', '/v1/credits'), 401);
        expectProblem(await browser.current(), 401);
      }
      expect((await owner.browser.request<{ data: { user_id: string }[] }>('GET', '/v1/members')).body.data.map((m) => m.user_id)).toEqual([owner.userId]);
      expectProblem(await owner.browser.request('DELETE', `/v1/members/${member.userId}`), 404);
      const current = await elsewhere.browser.current();
      expect(current.status).toBe(200);
      expect(current.body.tenants.map((entry) => entry.id)).toEqual([other.tenantId]);
      // Signing in again lands in the tenant they still belong to.
      const again = await signInAgain(platform, member);
      expect((await again.current()).body.tenant.id).toBe(other.tenantId);
    },
    SLOW,
  );

  it(
    "each session has its own per-minute allowance (the tenant's per-credential limit), apart from the tenant's keys",
    async ({ platform }) => {
      const tenant = await platform.createTenantWithKey({ limits: { requests_per_minute_per_key: 3 } });
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      for (let request = 1; request <= 3; request++) expect((await member.browser.request('GET', '/v1/credits')).status).toBe(200);
      const limited = await member.browser.request('GET', '/v1/credits');
      const problem = expectProblem(limited, 429);
      expect(problem).toMatchObject({ limit: 'requests_per_minute_per_key', limit_value: 3 });
      expect(problem.detail).toMatch(/session/);
      expect(problem.detail).not.toMatch(/API key/);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      // Another session of the same person, and the tenant's key, count apart.
      const other = await signInAgain(platform, member);
      expect((await other.request('GET', '/v1/credits')).status).toBe(200);
      expect((await tenant.api.request('GET', '/v1/credits')).status).toBe(200);
    },
    SLOW,
  );

  it(
    'a member may leave without members:write; their session ends',
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'owner');
      const viewer = await joinTenant(platform, tenant.tenantId, 'viewer');
      // Leaving is for oneself only: another member is still members:write.
      expectMissingScope(await viewer.browser.request('DELETE', `/v1/members/${owner.userId}`), 'members:write', 'viewer');
      expect((await viewer.browser.request('DELETE', `/v1/members/${viewer.userId}`)).status).toBe(204);
      expectProblem(await viewer.browser.current(), 401);
      expect((await owner.browser.request<{ data: { user_id: string }[] }>('GET', '/v1/members')).body.data.map((m) => m.user_id)).toEqual([owner.userId]);
      // No tenant left: signing in is refused.
      expectProblem(await ConsoleSession.of(platform).signIn(viewer.email, viewer.password), 403);
    },
    SLOW,
  );
});

interface TenantResources {
  jobId: string;
  keyId: string;
  endpointId: string;
  deliveryId: string;
  assetId: string;
  memberId: string;
  invitationId: string;
  sessionId: string;
}

/** Tenant A with one resource of each kind a path can name, made through the API (and its worker). */
async function tenantWithResources(platform: TestPlatform, sql: import('postgres').Sql): Promise<{ api: ApiClient; tenantId: string; resources: TenantResources }> {
  const a = await platform.createTenantWithKey({ name: 'Tenant A' });
  const endpoint = await a.api.request<{ id: string }>('POST', '/v1/webhooks/endpoints', { json: { url: 'http://127.0.0.1:9/a' } });
  expect(endpoint.status, endpoint.text).toBe(201);
  const done = await a.api.submitAndWait({ prompt: 'a finished job of A' });
  expect(done.status).toBe('Ready');
  const owner = await joinTenant(platform, a.tenantId, 'owner');
  const invitation = await owner.browser.request<{ id: string }>('POST', '/v1/invitations', { json: { email: uniqueEmail('pending'), role: 'viewer' } });
  expect(invitation.status, invitation.text).toBe(201);
  let deliveryId: string | undefined;
  await expect
    .poll(async () => (deliveryId = (await sql<{ id: string }[]>`SELECT id FROM webhook_deliveries WHERE tenant_id = ${a.tenantId} LIMIT 1`)[0]?.id), { timeout: 20_000 })
    .toBeDefined();
  const [asset] = await sql<{ id: string }[]>`SELECT id FROM assets WHERE tenant_id = ${a.tenantId} LIMIT 1`;
  return {
    api: a.api,
    tenantId: a.tenantId,
    resources: {
      jobId: done.id,
      keyId: a.keyId,
      endpointId: endpoint.body.id,
      deliveryId: deliveryId!,
      assetId: asset!.id,
      memberId: owner.userId,
      invitationId: invitation.body.id,
      sessionId: owner.browser.sessionId!,
    },
  };
}

/** Every tenant operation that names a resource in its path, aimed at A's. */
function probesAt(r: TenantResources): { operation: string; method: string; url: string; json?: unknown }[] {
  return [
    { operation: 'GET /v1/jobs/{id}', method: 'GET', url: `/v1/jobs/${r.jobId}` },
    { operation: 'GET /v1/jobs/{id}/lineage', method: 'GET', url: `/v1/jobs/${r.jobId}/lineage` },
    { operation: 'GET /v1/jobs/{id}/events', method: 'GET', url: `/v1/jobs/${r.jobId}/events` },
    { operation: 'POST /v1/jobs/{id}/cancel', method: 'POST', url: `/v1/jobs/${r.jobId}/cancel` },
    { operation: 'POST /v1/jobs/{id}/edits', method: 'POST', url: `/v1/jobs/${r.jobId}/edits`, json: { prompt: 'an edit of A' } },
    { operation: 'POST /v1/keys/{id}/rotate', method: 'POST', url: `/v1/keys/${r.keyId}/rotate` },
    { operation: 'DELETE /v1/keys/{id}', method: 'DELETE', url: `/v1/keys/${r.keyId}` },
    { operation: 'GET /v1/assets/{id}', method: 'GET', url: `/v1/assets/${r.assetId}` },
    { operation: 'GET /v1/assets/{id}/content', method: 'GET', url: `/v1/assets/${r.assetId}/content` },
    { operation: 'PATCH /v1/webhooks/endpoints/{id}', method: 'PATCH', url: `/v1/webhooks/endpoints/${r.endpointId}`, json: { description: 'taken over' } },
    { operation: 'DELETE /v1/webhooks/endpoints/{id}', method: 'DELETE', url: `/v1/webhooks/endpoints/${r.endpointId}` },
    { operation: 'POST /v1/webhooks/endpoints/{id}/rotate-secret', method: 'POST', url: `/v1/webhooks/endpoints/${r.endpointId}/rotate-secret` },
    { operation: 'POST /v1/webhooks/endpoints/{id}/test', method: 'POST', url: `/v1/webhooks/endpoints/${r.endpointId}/test` },
    { operation: 'POST /v1/webhooks/deliveries/{id}/redeliver', method: 'POST', url: `/v1/webhooks/deliveries/${r.deliveryId}/redeliver` },
    { operation: 'PATCH /v1/members/{user_id}', method: 'PATCH', url: `/v1/members/${r.memberId}`, json: { role: 'viewer' } },
    { operation: 'DELETE /v1/members/{user_id}', method: 'DELETE', url: `/v1/members/${r.memberId}` },
    { operation: 'DELETE /v1/invitations/{id}', method: 'DELETE', url: `/v1/invitations/${r.invitationId}` },
  ];
}

function withoutRequestId(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const { request_id: _id, ...rest } = body as Record<string, unknown>;
  return rest;
}

describe("another tenant's session", () => {
  it(
    "aimed at this tenant's resources gets 404 everywhere, exactly as that tenant's key does, and changes nothing",
    async ({ platform, sql }) => {
      const a = await tenantWithResources(platform, sql);
      const b = await platform.createTenantWithKey({ name: 'Tenant B' });
      const bOwner = await joinTenant(platform, b.tenantId, 'owner');
      // What B could have changed of A's (not the signed URLs in A's answers, which are minted per request).
      const snapshot = async () => {
        const list = async <T,>(path: string) => (await a.api.request<{ data: T[] }>('GET', path)).body.data;
        return {
          jobs: (await list<{ id: string; status: string; finished_at: string | null }>('/v1/jobs')).map(({ id, status, finished_at }) => ({ id, status, finished_at })),
          keys: (await list<{ id: string; status: string; expires_at: string | null; replaced_by: string | null }>('/v1/keys')).map(({ id, status, expires_at, replaced_by }) => ({ id, status, expires_at, replaced_by })),
          endpoints: (await list<{ id: string; url: string; description: string; events: string[] }>('/v1/webhooks/endpoints')).map(({ id, url, description, events }) => ({ id, url, description, events })),
          members: await list('/v1/members'),
          invitations: await list('/v1/invitations'),
          credits: (await a.api.request('GET', '/v1/credits')).body,
        };
      };
      const before = await snapshot();

      // Every operation with a path parameter in the document is aimed (blobs are signed URLs, sessions are below).
      const document = (await platform.api.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json', { key: null })).body;
      const named = Object.entries(document.paths)
        .filter(([path]) => path.startsWith('/v1/') && path.includes('{') && path !== '/v1/blobs/{token}' && path !== '/v1/me/sessions/{id}')
        .flatMap(([path, item]) => Object.keys(item).filter((method) => method !== 'parameters').map((method) => `${method.toUpperCase()} ${path}`));
      const probes = probesAt(a.resources);
      expect(probes.map((probe) => probe.operation).sort()).toEqual(named.sort());

      for (const probe of probes) {
        const options = probe.json === undefined ? {} : { json: probe.json };
        const bySession = await bOwner.browser.request(probe.method, probe.url, options);
        const byKey = await b.api.request(probe.method, probe.url, options);
        expect(bySession.status, `session: ${probe.method} ${probe.url} -> ${bySession.text}`).toBe(404);
        expect(byKey.status, `key: ${probe.method} ${probe.url} -> ${byKey.text}`).toBe(404);
        expect(bySession.headers.get('content-type'), probe.url).toBe('application/problem+json');
        expect(withoutRequestId(bySession.body), probe.url).toEqual(withoutRequestId(byKey.body));
      }
      // BFL's get_result, and A's session id on the account route.
      const result = await bOwner.browser.request('GET', `/v1/get_result?id=${a.resources.jobId}`);
      expect(result.body).toEqual({ id: a.resources.jobId, status: 'Task not found', result: null, progress: null, details: null });
      expectProblem(await bOwner.browser.request('DELETE', `/v1/me/sessions/${a.resources.sessionId}`), 404);

      // The lists B's session sees hold nothing of A's.
      for (const path of ['/v1/jobs', '/v1/keys', '/v1/webhooks/endpoints', '/v1/webhooks/deliveries', '/v1/members', '/v1/invitations', '/v1/audit-log', '/v1/credits/ledger', '/v1/usage?group_by=key']) {
        const response = await bOwner.browser.request('GET', path);
        expect(response.status, `${path}: ${response.text}`).toBe(200);
        for (const id of [a.tenantId, ...Object.values(a.resources)]) expect(response.text.includes(id), `${path} leaks ${id}`).toBe(false);
      }

      expect(await snapshot()).toEqual(before);
      const [row] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM sessions WHERE id = ${a.resources.sessionId}`;
      expect(row?.count).toBe(1);
    },
    SLOW,
  );
});

async function auditLog(browser: ConsoleSession, query = ''): Promise<AuditLog> {
  const response = await browser.request<AuditLog>('GET', `/v1/audit-log${query}`);
  expect(response.status, response.text).toBe(200);
  expect(AuditLogSchema.safeParse(response.body).success, response.text).toBe(true);
  return response.body;
}

describe('the audit log', () => {
  it(
    'records sign-ins, refusals, keys, members, invitations and passwords, with who, what and the request; newest first, in pages',
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'owner');
      const browser = await signInAgain(platform, owner);
      const signedInSession = browser.sessionId;
      expectProblem(await ConsoleSession.of(platform).signIn(owner.email, 'not the password at all'), 401);

      const created = await browser.request<{ id: string }>('POST', '/v1/keys', { json: { name: 'audited' } });
      expect(created.status, created.text).toBe(201);
      const rotated = await browser.request<{ key: { id: string } }>('POST', `/v1/keys/${created.body.id}/rotate`, { json: {} });
      expect(rotated.status, rotated.text).toBe(201);
      expect((await browser.request('DELETE', `/v1/keys/${rotated.body.key.id}`)).status).toBe(200);
      const byKey = await tenant.api.request<{ id: string }>('POST', '/v1/keys', { json: { name: 'by the tenant key' } });
      expect(byKey.status).toBe(201);

      const withdrawnEmail = uniqueEmail('withdrawn');
      const withdrawn = await browser.request<{ id: string }>('POST', '/v1/invitations', { json: { email: withdrawnEmail, role: 'viewer' } });
      expect((await browser.request('DELETE', `/v1/invitations/${withdrawn.body.id}`)).status).toBe(204);
      const joinerEmail = uniqueEmail('joiner');
      const invited = await browser.request<{ id: string }>('POST', '/v1/invitations', { json: { email: joinerEmail, role: 'viewer' } });
      expect(invited.status, invited.text).toBe(201);
      // The link is only in the mail: the operator's answer carries it, the tenant's does not. Take it from the outbox's log line.
      const joiner = await acceptFromLog(platform, joinerEmail);
      expect((await browser.request('PATCH', `/v1/members/${joiner.userId}`, { json: { role: 'developer' } })).status).toBe(200);
      expect((await browser.request('DELETE', `/v1/members/${joiner.userId}`)).status).toBe(204);
      const changed = await browser.changePassword(owner.password, 'another good password');
      expect(changed.status, changed.text).toBe(200);

      const log = await auditLog(browser, '?limit=200');
      expect(log.next_cursor).toBeNull();
      const ids = log.data.map((entry) => entry.id);
      expect(ids).toEqual([...ids].sort().reverse());
      const times = log.data.map((entry) => Date.parse(entry.at));
      expect(times).toEqual([...times].sort((x, y) => y - x));
      const user = { kind: 'user' as const, id: owner.userId, email: owner.email };
      const of = (action: string) => log.data.filter((entry) => entry.action === action);
      const expectOne = (action: string, expected: Partial<AuditEntry> & Record<string, unknown>) => {
        expect(of(action), action).toEqual(expect.arrayContaining([expect.objectContaining(expected)]));
      };

      expect(log.data.map((entry) => entry.action).reverse()).toEqual([
        'key.created',
        'member.invited',
        'member.joined',
        'session.signed_in',
        'session.sign_in_refused',
        'key.created',
        'key.created',
        'key.rotated',
        'key.revoked',
        'key.created',
        'member.invited',
        'invitation.revoked',
        'member.invited',
        'member.joined',
        'member.role_changed',
        'member.removed',
        'password.changed',
      ]);
      expectOne('key.created', { actor: { kind: 'operator', id: null, email: null }, target: tenant.keyId });
      expectOne('member.invited', { actor: { kind: 'operator', id: null, email: null }, details: { email: owner.email, role: 'owner' } });
      expectOne('member.joined', { actor: user, target: owner.userId, details: expect.objectContaining({ role: 'owner' }) });
      expectOne('session.signed_in', { actor: user, target: signedInSession, details: { method: 'password' } });
      expectOne('session.sign_in_refused', { actor: { kind: 'anonymous', id: null, email: null }, target: owner.userId });
      expectOne('key.created', { actor: user, target: created.body.id, details: expect.objectContaining({ name: 'audited' }), request_id: created.headers.get('x-request-id') });
      expectOne('key.created', { actor: { kind: 'api_key', id: tenant.keyId, email: null }, target: byKey.body.id });
      expectOne('key.rotated', { actor: user, target: created.body.id, details: expect.objectContaining({ replaced_by: rotated.body.key.id }) });
      expectOne('key.revoked', { actor: user, target: rotated.body.key.id });
      expectOne('member.invited', { actor: user, target: withdrawn.body.id, details: { email: withdrawnEmail, role: 'viewer' } });
      expectOne('invitation.revoked', { actor: user, target: withdrawn.body.id });
      expectOne('member.joined', { actor: { kind: 'user', id: joiner.userId, email: joinerEmail }, target: joiner.userId });
      expectOne('member.role_changed', { actor: user, target: joiner.userId, details: { from: 'viewer', to: 'developer' } });
      expectOne('member.removed', { actor: user, target: joiner.userId, details: { role: 'developer', left: false } });
      expectOne('password.changed', { actor: user, target: owner.userId });
      // In process there is no client address; people-socket.test.ts checks it over the socket.
      for (const entry of log.data) expect(entry.client_address).toBeNull();
      // Nothing secret is written down.
      expect(JSON.stringify(log)).not.toContain(owner.password);

      // Pages of 3, following next_cursor, are the whole log in order.
      const paged: AuditEntry[] = [];
      let cursor: string | null = null;
      do {
        const page: AuditLog = await auditLog(browser, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.data.length).toBeLessThanOrEqual(3);
        paged.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      expect(paged).toEqual(log.data);
      expect((await auditLog(browser, '?action=key.created')).data.map((entry) => entry.target)).toEqual([byKey.body.id, rotated.body.key.id, created.body.id, tenant.keyId]);
      expectProblem(await browser.request('GET', '/v1/audit-log?cursor=not-a-cursor'), 422, ['cursor']);
      expectProblem(await browser.request('GET', '/v1/audit-log?action=tenant.deleted'), 422, ['action']);
      expectProblem(await browser.request('GET', '/v1/audit-log?limit=0'), 422, ['limit']);
      // An API key with audit:read reads the same log; a viewer's session cannot.
      expect((await tenant.api.request<AuditLog>('GET', '/v1/audit-log?limit=200')).body.data.map((entry) => entry.id)).toEqual(ids);
      const viewer = await joinTenant(platform, tenant.tenantId, 'viewer');
      expectMissingScope(await viewer.browser.request('GET', '/v1/audit-log'), 'audit:read', 'viewer');
      const admin = await joinTenant(platform, tenant.tenantId, 'admin');
      expect((await admin.browser.request('GET', '/v1/audit-log')).status).toBe(200);
    },
    SLOW,
  );
});

/** Accepts the invitation mailed to `email` by the platform's outbox mailer, from its log line (as an operator without SMTP would). */
async function acceptFromLog(platform: TestPlatform, email: string): Promise<{ userId: string; browser: ConsoleSession }> {
  let link: string | undefined;
  await expect
    .poll(() => {
      const line = platform.logs.find((entry) => entry.includes('mail written to outbox') && entry.includes(email));
      link = line ? (JSON.parse(line) as { link?: string }).link : undefined;
      return link;
    })
    .toMatch(/\/console\/accept-invitation#token=inv_/);
  const browser = ConsoleSession.of(platform);
  const accepted = await browser.acceptInvitation(tokenOfLink(link!), PASSWORD);
  expect(accepted.status, accepted.text).toBe(200);
  return { userId: accepted.body.user.id, browser };
}

async function ledger(client: ConsoleSession | ApiClient, query = ''): Promise<LedgerPage> {
  const response = await client.request<LedgerPage>('GET', `/v1/credits/ledger${query}`);
  expect(response.status, response.text).toBe(200);
  expect(LedgerPageSchema.safeParse(response.body).success, response.text).toBe(true);
  return response.body;
}

describe('the credit ledger', () => {
  it(
    'lists every change newest first, each balance_after the one before plus its amount, ending at the balance; in pages',
    async ({ platform }) => {
      const tenant = await platform.createTenantWithKey({ credits: 1000 });
      const grant = await platform.admin.request('POST', `/admin/v1/tenants/${tenant.tenantId}/credits`, { json: { amount: 250, reason: 'top-up' } });
      expect(grant.status, grant.text).toBe(200);
      const jobs: string[] = [];
      for (const prompt of ['first', 'second', 'third']) jobs.push((await tenant.api.submitAndWait({ prompt })).id);
      const debit = await platform.admin.request('POST', `/admin/v1/tenants/${tenant.tenantId}/credits`, { json: { amount: -50, reason: 'correction' } });
      expect(debit.status, debit.text).toBe(200);

      const { browser } = await joinTenant(platform, tenant.tenantId, 'billing');
      const all = await ledger(browser, '?limit=200');
      expect(all.next_cursor).toBeNull();
      const entries = all.data;
      // Oldest first: the opening balance, the grant, reserve and settle per job, the debit.
      expect([...entries].reverse().map((entry) => [entry.kind, entry.job_id, entry.reason])).toEqual([
        ['grant', null, 'opening balance'],
        ['grant', null, 'top-up'],
        ...jobs.flatMap((id) => [
          ['reserve', id, 'job submitted'],
          ['settle', id, 'job succeeded'],
        ]),
        ['grant', null, 'correction'],
      ]);
      for (const [index, entry] of entries.entries()) {
        const previous: LedgerEntry | undefined = entries[index + 1];
        expect(entry.balance_after, `entry ${entry.id}`).toBe((previous?.balance_after ?? 0) + entry.amount);
        if (previous) expect(Number(entry.id)).toBeGreaterThan(Number(previous.id));
      }
      const credits = await browser.request<{ credits: number; reserved: number }>('GET', '/v1/credits');
      expect(entries[0]!.balance_after).toBe(credits.body.credits);
      expect(entries.reduce((sum, entry) => sum + entry.amount, 0)).toBe(credits.body.credits);
      expect(credits.body.reserved).toBe(0);

      // Pages of 2 are the same entries; filters narrow them.
      const paged: LedgerEntry[] = [];
      let cursor: string | null = null;
      do {
        const page: LedgerPage = await ledger(browser, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        paged.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      expect(paged).toEqual(entries);
      expect((await ledger(browser, '?kind=grant')).data.map((entry) => entry.amount)).toEqual([-50, 250, 1000]);
      expect((await ledger(browser, `?job_id=${jobs[1]}`)).data.map((entry) => entry.kind)).toEqual(['settle', 'reserve']);
      expect(await ledger(tenant.api, '?limit=200')).toEqual(all);
      for (const bad of ['not-a-cursor', '0', '-5', '1.5']) expectProblem(await browser.request('GET', `/v1/credits/ledger?cursor=${bad}`), 422, ['cursor']);
      expectProblem(await browser.request('GET', '/v1/credits/ledger?kind=gift'), 422, ['kind']);
    },
    SLOW,
  );
});
