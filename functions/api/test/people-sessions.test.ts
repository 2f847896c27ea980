import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MEMBER_ROLES, ROLE_SCOPES, SessionSchema, UserSessionListSchema, type MemberRole } from '@kontext/core';
import { describe, expect } from 'vitest';
import type { z } from 'zod';
import type { ApiResponse } from '../../../test/harness/api-client.ts';
import { ConsoleSession, sessionCookiesOf, type Session } from '../../../test/harness/console-session.ts';
import { it } from '../../../test/harness/fixtures.ts';
import { joinTenant, operatorInvite, PASSWORD, signInAgain, tokenOfLink, uniqueEmail } from '../../../test/harness/people.ts';
import { expectProblem } from '../../../test/harness/problems.ts';

// Console sessions through the HTTP API, as the console's browser uses them: joining by
// invitation, signing in (one answer for every wrong guess, and throttled), the cookie and what
// guards writes made with it (CSRF token, same origin), how sessions end (idle, absolute, sign-out,
// another device, a password change), switching tenants, and the local owner's one-time link.
// Each test makes its own tenant and people; in process, so there is no client address here
// (people-socket.test.ts has what needs one).

type UserSessionList = z.infer<typeof UserSessionListSchema>;

// Three wrong passwords per account before it is refused; every test signs in with its own accounts.
it.override({ platformOptions: { transport: 'in-process', workerLoops: 0, people: { signInFailureLimit: 3 } } });

/** Sign-ins hash with scrypt (a few hundred ms each on two cores): tests that make several get time. */
const SLOW = 60_000;

function withoutRequestId(body: unknown): Record<string, unknown> {
  const { request_id: _id, instance: _instance, ...rest } = body as Record<string, unknown>;
  return rest;
}

function expectCsrfRefusal(response: ApiResponse): void {
  const problem = expectProblem(response, 403);
  expect(problem.csrf, response.text).toBe(true);
}

describe('joining by invitation', () => {
  it(
    "the operator's link signs a new person in: the cookie, the session, the role's scopes",
    async ({ platform, tenant }) => {
      const email = uniqueEmail('Invitee').toUpperCase();
      const invitation = await operatorInvite(platform, tenant.tenantId, email, 'developer');
      expect(invitation).toMatchObject({ email: email.toLowerCase(), role: 'developer', invited_by: null, email_sent: true });
      expect(invitation.accept_url).toMatch(new RegExp(`^${platform.publicBaseUrl}/console/accept-invitation#token=inv_[A-Za-z0-9_-]{43}$`));
      const pending = await tenant.api.request<{ data: { id: string; email: string }[] }>('GET', '/v1/invitations');
      expect(pending.body.data.map((entry) => entry.id)).toEqual([invitation.id]);

      const browser = ConsoleSession.of(platform);
      const accepted = await browser.acceptInvitation(invitation.token, PASSWORD, '  Ada Lovelace  ');
      expect(accepted.status, accepted.text).toBe(200);
      expect(SessionSchema.safeParse(accepted.body).success).toBe(true);
      expect(accepted.headers.get('cache-control')).toBe('no-store');

      const [cookie, ...others] = sessionCookiesOf(accepted);
      expect(others).toEqual([]);
      expect(cookie).toBeDefined();
      expect(cookie!.name).toBe('kontext_session');
      expect(cookie!.value).toMatch(/^ses_[0-9A-Z]{26}\.[A-Za-z0-9_-]{43}$/);
      expect(cookie!.attributes).toHaveProperty('httponly');
      expect(cookie!.attributes.samesite?.toLowerCase()).toBe('lax');
      expect(cookie!.attributes.path).toBe('/');
      expect(cookie!.attributes).not.toHaveProperty('secure');
      expect(cookie!.attributes).not.toHaveProperty('domain');
      expect(Number(cookie!.attributes['max-age'])).toBeGreaterThan(0);
      // The cookie carries the session, and nothing else of it travels: the body has no secret.
      expect(accepted.text).not.toContain(cookie!.value.split('.')[1]);

      const session = accepted.body;
      expect(session.id).toBe(cookie!.value.split('.')[0]);
      expect(session.user).toMatchObject({ email: email.toLowerCase(), name: 'Ada Lovelace' });
      expect(session.tenant).toEqual({ id: tenant.tenantId, name: 'Another tenant', role: 'developer' });
      expect(session.tenants).toEqual([session.tenant]);
      expect(session.scopes).toEqual([...ROLE_SCOPES.developer]);
      expect(Date.parse(session.idle_expires_at)).toBeLessThanOrEqual(Date.parse(session.expires_at));

      const current = await browser.current();
      expect(current.status, current.text).toBe(200);
      expect(current.headers.get('cache-control')).toBe('no-store');
      expect(current.body).toEqual(session);
      // A session counts against its own per-minute allowance, as a key does.
      expect(Number(current.headers.get('ratelimit-limit'))).toBeGreaterThan(0);
      expect(Number(current.headers.get('ratelimit-remaining'))).toBeLessThan(Number(current.headers.get('ratelimit-limit')));

      // The tenant sees its new member; the invitation is no longer pending.
      const members = await tenant.api.request<{ data: { user_id: string; email: string; role: string }[] }>('GET', '/v1/members');
      expect(members.body.data).toEqual([expect.objectContaining({ user_id: session.user.id, email: email.toLowerCase(), role: 'developer' })]);
      expect((await tenant.api.request<{ data: unknown[] }>('GET', '/v1/invitations')).body.data).toEqual([]);
    },
    SLOW,
  );

  it(
    "every role's session carries exactly that role's scopes",
    async ({ platform, tenant }) => {
      for (const role of MEMBER_ROLES) {
        const member = await joinTenant(platform, tenant.tenantId, role);
        const current = await member.browser.current();
        expect(current.status, current.text).toBe(200);
        expect(current.body.tenant.role, role).toBe(role);
        expect([...current.body.scopes].sort(), role).toEqual([...ROLE_SCOPES[role]].sort());
      }
    },
    SLOW,
  );

  it(
    'a link works once: used, withdrawn or expired, it is 404 (as a token never issued) and signs nobody in',
    async ({ platform, tenant, sql }) => {
      const used = await operatorInvite(platform, tenant.tenantId, uniqueEmail('used'), 'viewer');
      expect((await ConsoleSession.of(platform).acceptInvitation(used.token, PASSWORD)).status).toBe(200);
      const again = ConsoleSession.of(platform);
      const reused = await again.acceptInvitation(used.token, PASSWORD);
      expectProblem(reused, 404, ['token']);
      expect(again.cookie).toBeUndefined();
      // Only hashes are kept: a used token and one never issued look alike.
      const neverIssued = await ConsoleSession.of(platform).acceptInvitation(`inv_${'A'.repeat(43)}`, PASSWORD);
      expect(withoutRequestId(neverIssued.body)).toEqual(withoutRequestId(reused.body));

      const withdrawn = await operatorInvite(platform, tenant.tenantId, uniqueEmail('withdrawn'), 'viewer');
      expect((await tenant.api.request('DELETE', `/v1/invitations/${withdrawn.id}`)).status).toBe(204);
      expectProblem(await tenant.api.request('DELETE', `/v1/invitations/${withdrawn.id}`), 404);
      expectProblem(await ConsoleSession.of(platform).acceptInvitation(withdrawn.token, PASSWORD), 404, ['token']);

      const expired = await operatorInvite(platform, tenant.tenantId, uniqueEmail('expired'), 'viewer');
      await sql`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = ${expired.id}`;
      expect((await tenant.api.request<{ data: unknown[] }>('GET', '/v1/invitations')).body.data).toEqual([]);
      expectProblem(await ConsoleSession.of(platform).acceptInvitation(expired.token, PASSWORD), 404, ['token']);

      // Inviting an address again replaces its link: the first one stops working.
      const email = uniqueEmail('reinvited');
      const first = await operatorInvite(platform, tenant.tenantId, email, 'viewer');
      const second = await operatorInvite(platform, tenant.tenantId, email, 'billing');
      expectProblem(await ConsoleSession.of(platform).acceptInvitation(first.token, PASSWORD), 404);
      const joined = await ConsoleSession.of(platform).acceptInvitation(second.token, PASSWORD);
      expect(joined.status, joined.text).toBe(200);
      expect(joined.body.tenant.role).toBe('billing');

      // Only the one who accepted the used link is a member.
      const members = await tenant.api.request<{ data: { email: string }[] }>('GET', '/v1/members');
      expect(members.body.data.map((member) => member.email).sort()).toEqual([used.email, email].sort());
    },
    SLOW,
  );

  it('a new account needs a password of at least 10 characters; the link survives a refusal', async ({ platform, tenant }) => {
    const invitation = await operatorInvite(platform, tenant.tenantId, uniqueEmail('short'), 'viewer');
    expectProblem(await ConsoleSession.of(platform).acceptInvitation(invitation.token, 'too short'), 422, ['password']);
    expectProblem(await ConsoleSession.of(platform).acceptInvitation('inv_not-a-token', PASSWORD), 422, ['token']);
    expect((await ConsoleSession.of(platform).acceptInvitation(invitation.token, PASSWORD)).status).toBe(200);
  });

  it(
    'an existing account joins a second tenant with its current password, sees both, and switches between them',
    async ({ platform, tenant, sql }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      const other = await platform.createTenantWithKey({ name: 'Second tenant' });
      const invitation = await operatorInvite(platform, other.tenantId, member.email, 'admin');

      // Someone with the link but not the account's password cannot take it over, nor use the link up.
      const intruder = ConsoleSession.of(platform);
      expectProblem(await intruder.acceptInvitation(invitation.token, 'some other long password'), 403, ['password']);
      expect(intruder.cookie).toBeUndefined();
      const [pending] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM invitations WHERE id = ${invitation.id}`;
      expect(pending?.count).toBe(1);

      const browser = ConsoleSession.of(platform);
      const joined = await browser.acceptInvitation(invitation.token, member.password, 'a name that is ignored');
      expect(joined.status, joined.text).toBe(200);
      expect(joined.body.user.id).toBe(member.userId);
      expect(joined.body.tenant).toEqual({ id: other.tenantId, name: 'Second tenant', role: 'admin' });
      expect(joined.body.tenants).toEqual([
        { id: tenant.tenantId, name: 'Another tenant', role: 'viewer' },
        { id: other.tenantId, name: 'Second tenant', role: 'admin' },
      ]);
      expect(joined.body.scopes).toEqual([...ROLE_SCOPES.admin]);
      // The first browser's session, in the first tenant, carries on.
      expect((await member.browser.current()).body.tenant.id).toBe(tenant.tenantId);

      // Switching: a new session (id, cookie, CSRF token) in the other tenant; the old cookie ends.
      const before = browser.clone();
      const switched = await browser.switchTenant(tenant.tenantId);
      expect(switched.status, switched.text).toBe(200);
      expect(switched.body.tenant).toEqual({ id: tenant.tenantId, name: 'Another tenant', role: 'viewer' });
      expect(switched.body.scopes).toEqual([...ROLE_SCOPES.viewer]);
      expect(sessionCookiesOf(switched)).toHaveLength(1);
      expect(browser.cookie?.value).not.toBe(before.cookie?.value);
      expect(switched.body.id).not.toBe(joined.body.id);
      expect(switched.body.csrf_token).not.toBe(joined.body.csrf_token);
      expectProblem(await before.current(), 401);
      expectProblem(await before.request('GET', '/v1/members'), 401);
      expect((await browser.request<{ data: { user_id: string }[] }>('GET', '/v1/members')).body.data.map((entry) => entry.user_id)).toContain(member.userId);

      // Not a tenant of theirs: 404, and the session is kept.
      const stranger = await platform.createTenantWithKey();
      expectProblem(await browser.switchTenant(stranger.tenantId), 404);
      expect((await browser.current()).body.tenant.id).toBe(tenant.tenantId);

      // Signing in can start in either tenant; another tenant's id is 404.
      const inOther = ConsoleSession.of(platform);
      expect((await inOther.signIn(member.email, member.password, { tenantId: other.tenantId })).body.tenant.id).toBe(other.tenantId);
      expectProblem(await ConsoleSession.of(platform).signIn(member.email, member.password, { tenantId: stranger.tenantId }), 404);
    },
    SLOW,
  );
});

describe('signing in', () => {
  it(
    'an unknown email and a wrong password get the same answer; the email is matched without regard to case',
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      const unknown = await ConsoleSession.of(platform).signIn(uniqueEmail('nobody'), PASSWORD);
      const wrong = await ConsoleSession.of(platform).signIn(member.email, 'not the password at all');
      expectProblem(unknown, 401);
      expectProblem(wrong, 401);
      expect(withoutRequestId(wrong.body)).toEqual(withoutRequestId(unknown.body));
      expect(wrong.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
      for (const response of [unknown, wrong]) expect(sessionCookiesOf(response)).toEqual([]);

      const browser = ConsoleSession.of(platform);
      const signedIn = await browser.signIn(member.email.toUpperCase(), member.password);
      expect(signedIn.status, signedIn.text).toBe(200);
      expect(signedIn.body.user.id).toBe(member.userId);
      expect(sessionCookiesOf(signedIn)).toHaveLength(1);
    },
    SLOW,
  );

  it(
    'past the failure limit an account is refused (429, Retry-After) even with the right password; other accounts are not',
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      const bystander = await joinTenant(platform, tenant.tenantId, 'viewer');
      for (let attempt = 1; attempt <= 3; attempt++) expectProblem(await ConsoleSession.of(platform).signIn(member.email, `wrong password ${attempt}`), 401);

      const browser = ConsoleSession.of(platform);
      const refused = await browser.signIn(member.email, member.password);
      const problem = expectProblem(refused, 429);
      expect(problem).toMatchObject({ limit: 'sign_in_failures_per_account', limit_value: 3 });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(problem.retry_after_seconds).toBe(retryAfter);
      expect(browser.cookie).toBeUndefined();
      // The address (unknown in process) is not over its own limit: another account signs in.
      expect((await ConsoleSession.of(platform).signIn(bystander.email, bystander.password)).status).toBe(200);
      // An unknown address counts the same way: throttling tells nothing about which accounts exist.
      const ghost = uniqueEmail('ghost');
      for (let attempt = 1; attempt <= 3; attempt++) expectProblem(await ConsoleSession.of(platform).signIn(ghost, PASSWORD), 401);
      expect(expectProblem(await ConsoleSession.of(platform).signIn(ghost, PASSWORD), 429).limit).toBe('sign_in_failures_per_account');
      // The existing session of the throttled account is untouched.
      expect((await member.browser.current()).status).toBe(200);
    },
    SLOW,
  );

  it(
    "a success clears the account's failures",
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      const attempt = (password: string) => ConsoleSession.of(platform).signIn(member.email, password);
      expectProblem(await attempt('wrong password one'), 401);
      expectProblem(await attempt('wrong password two'), 401);
      expect((await attempt(member.password)).status).toBe(200);
      // Counted on from two, the second of these would be refused.
      for (const password of ['wrong password three', 'wrong password four', 'wrong password five']) expectProblem(await attempt(password), 401);
      expect(expectProblem(await attempt(member.password), 429).limit).toBe('sign_in_failures_per_account');
    },
    SLOW,
  );
});

describe('the session cookie', () => {
  it(
    "a write made with the cookie needs the session's CSRF token and the console's origin",
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'owner');
      const other = await joinTenant(platform, tenant.tenantId, 'owner');
      const browser = owner.browser;
      const token = browser.csrfToken!;
      const createKey = (options: Parameters<ConsoleSession['request']>[2] = {}) => browser.request('POST', '/v1/keys', { json: { name: 'csrf probe' }, ...options });

      expectCsrfRefusal(await createKey({ csrf: null }));
      expectCsrfRefusal(await createKey({ csrf: `${token.slice(0, -2)}xx` }));
      expectCsrfRefusal(await createKey({ csrf: other.browser.csrfToken! }));
      expectCsrfRefusal(await createKey({ origin: 'https://evil.example' }));
      expectCsrfRefusal(await createKey({ origin: 'https://evil.example', fetchSite: null }));
      expectCsrfRefusal(await createKey({ fetchSite: 'cross-site' }));
      expectCsrfRefusal(await createKey({ fetchSite: 'same-site' }));
      expectCsrfRefusal(await createKey({ origin: null, fetchSite: null }));
      // The same host on another port is another origin.
      const base = new URL(platform.publicBaseUrl);
      expectCsrfRefusal(await createKey({ origin: `${base.protocol}//${base.hostname}:1`, fetchSite: null }));
      // Every unsafe method is guarded, not only POST.
      expectCsrfRefusal(await browser.request('DELETE', `/v1/keys/${tenant.keyId}`, { csrf: null }));
      expectCsrfRefusal(await browser.request('PATCH', `/v1/members/${other.userId}`, { json: { role: 'viewer' }, fetchSite: 'cross-site' }));
      expectCsrfRefusal(await browser.request('PUT', '/v1/session/tenant', { json: { tenant_id: tenant.tenantId }, csrf: null }));
      expectCsrfRefusal(await browser.request('DELETE', '/v1/session', { origin: 'https://evil.example' }));
      expect((await tenant.api.request<{ data: unknown[] }>('GET', '/v1/keys')).body.data).toHaveLength(1);

      // The token and the console's origin: it works (either header alone names the origin).
      expect((await createKey()).status).toBe(201);
      expect((await createKey({ origin: null })).status).toBe(201);
      expect((await createKey({ fetchSite: null })).status).toBe(201);
      // Reads need no token.
      expect((await browser.request('GET', '/v1/keys', { csrf: null, origin: null, fetchSite: null })).status).toBe(200);
      expect((await browser.current()).body.id).toBe(browser.sessionId);
    },
    SLOW,
  );

  it(
    'an API key beside a (stolen) cookie acts as the key: the cookie is ignored',
    async ({ platform, tenant }) => {
      const victim = await joinTenant(platform, tenant.tenantId, 'owner');
      const thief = await platform.createTenantWithKey({ name: 'Thief' });
      const keys = await victim.browser.request<{ data: { id: string }[] }>('GET', '/v1/keys', { key: thief.key });
      expect(keys.status, keys.text).toBe(200);
      expect(keys.body.data.map((key) => key.id)).toEqual([thief.keyId]);
      // A write with the key needs no CSRF token, and lands in the key's tenant.
      const created = await victim.browser.request<{ id: string }>('POST', '/v1/keys', { key: thief.key, csrf: null, origin: 'https://evil.example', json: { name: 'by key' } });
      expect(created.status, created.text).toBe(201);
      expect((await thief.api.request<{ data: { id: string }[] }>('GET', '/v1/keys')).body.data.map((key) => key.id)).toContain(created.body.id);
      expect((await tenant.api.request<{ data: { id: string }[] }>('GET', '/v1/keys')).body.data.map((key) => key.id)).toEqual([tenant.keyId]);
      const members = await victim.browser.request<{ data: unknown[] }>('GET', '/v1/members', { key: thief.key });
      expect(members.body.data).toEqual([]);
      // A wrong key is 401, whatever cookie comes with it.
      expectProblem(await victim.browser.request('GET', '/v1/members', { key: 'kx_live_not-a-key' }), 401);
    },
    SLOW,
  );

  it(
    'the sign-in routes refuse a cross-site browser request (login CSRF), and take a non-browser one',
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      for (const headers of [{ fetchSite: 'cross-site' }, { origin: 'https://evil.example', fetchSite: null }, { fetchSite: 'same-site', origin: null }]) {
        const browser = ConsoleSession.of(platform);
        const refused = await browser.signIn(member.email, member.password, headers);
        expectProblem(refused, 403);
        expect(sessionCookiesOf(refused)).toEqual([]);
      }
      const invitation = await operatorInvite(platform, tenant.tenantId, uniqueEmail('csrf'), 'viewer');
      expectProblem(await ConsoleSession.of(platform).request('POST', '/v1/invitations/accept', { json: { token: invitation.token, password: PASSWORD }, fetchSite: 'cross-site' }), 403);
      expectProblem(await ConsoleSession.of(platform).request('POST', '/v1/password-reset', { json: { email: member.email }, origin: 'https://evil.example' }), 403);
      // The refused accept did not use the link up.
      expect((await ConsoleSession.of(platform).acceptInvitation(invitation.token, PASSWORD)).status).toBe(200);
      // curl and SDKs send neither header: allowed.
      expect((await ConsoleSession.of(platform).signIn(member.email, member.password, { origin: null, fetchSite: null })).status).toBe(200);
    },
    SLOW,
  );

  it('the account routes refuse an API key (403), and want a session (401)', async ({ platform, tenant }) => {
    const anonymous = ConsoleSession.of(platform);
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/session'],
      ['DELETE', '/v1/session'],
      ['PUT', '/v1/session/tenant', { tenant_id: tenant.tenantId }],
      ['GET', '/v1/me/sessions'],
      ['DELETE', '/v1/me/sessions/ses_01M8DFD8DANDT28ZT034WVYBX4'],
      ['POST', '/v1/me/password', { current_password: PASSWORD, new_password: `${PASSWORD}!` }],
    ];
    for (const [method, path, json] of routes) {
      const withKey = await tenant.api.request(method, path, json === undefined ? {} : { json });
      expect(expectProblem(withKey, 403).detail, `${method} ${path}`).toMatch(/signed-in person/);
      expectProblem(await anonymous.request(method, path, json === undefined ? {} : { json }), 401);
      expectProblem(await anonymous.request(method, path, { ...(json === undefined ? {} : { json }), cookie: 'ses_01M8DFD8DANDT28ZT034WVYBX4.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 401);
    }
  });

  it(
    'a session ends when its idle expiry or its absolute expiry passes',
    async ({ platform, tenant, sql }) => {
      const idle = await joinTenant(platform, tenant.tenantId, 'viewer');
      const absolute = await signInAgain(platform, idle);
      expect((await idle.browser.current()).status).toBe(200);
      expect((await absolute.current()).status).toBe(200);

      await sql`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = ${idle.browser.sessionId!}`;
      expectProblem(await idle.browser.current(), 401);
      expectProblem(await idle.browser.request('GET', '/v1/credits'), 401);
      await sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ${absolute.sessionId!}`;
      const [row] = await sql<{ idle_ahead: boolean }[]>`SELECT idle_expires_at > now() AS idle_ahead FROM sessions WHERE id = ${absolute.sessionId!}`;
      expect(row?.idle_ahead).toBe(true);
      expectProblem(await absolute.current(), 401);
      expectProblem(await absolute.request('GET', '/v1/credits'), 401);
      // Ended sessions are not listed among the user's sessions.
      const fresh = await signInAgain(platform, idle);
      const listed = await fresh.request<UserSessionList>('GET', '/v1/me/sessions');
      expect(listed.body.data.map((session) => session.id)).toEqual([fresh.sessionId]);
    },
    SLOW,
  );

  it(
    'use slides the idle expiry forward, never past the absolute end',
    async ({ platform, tenant, sql }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      const id = member.browser.sessionId!;
      const read = async () => (await sql<{ idle: Date; absolute: Date; slid: boolean }[]>`
        SELECT idle_expires_at AS idle, expires_at AS absolute, idle_expires_at > now() + interval '1 hour' AS slid FROM sessions WHERE id = ${id}`)[0]!;
      // As if last used two minutes ago, and about to go idle.
      await sql`UPDATE sessions SET last_seen_at = now() - interval '2 minutes', idle_expires_at = now() + interval '5 minutes' WHERE id = ${id}`;
      expect((await member.browser.request('GET', '/v1/credits')).status).toBe(200);
      await expect.poll(async () => (await read()).slid).toBe(true);
      expect((await member.browser.current()).body.idle_expires_at).toBe((await read()).idle.toISOString());

      // Near the absolute end, the idle expiry stops at it.
      await sql`UPDATE sessions SET last_seen_at = now() - interval '2 minutes', idle_expires_at = now() + interval '5 minutes', expires_at = now() + interval '10 minutes' WHERE id = ${id}`;
      expect((await member.browser.request('GET', '/v1/credits')).status).toBe(200);
      await expect.poll(async () => {
        const row = await read();
        return row.idle.getTime() === row.absolute.getTime();
      }).toBe(true);
      const session = (await member.browser.current()).body;
      expect(session.idle_expires_at).toBe(session.expires_at);
    },
    SLOW,
  );

  it(
    "the cookie follows PUBLIC_BASE_URL: __Host- and Secure over HTTPS; refused on plain HTTP away from localhost unless allowed",
    async ({ startApiProcess }) => {
      const adminToken = `kxadmin_${'t'.repeat(40)}`;
      const join = async (publicBaseUrl: string, people: { allowInsecureCookies?: boolean } = {}) => {
        const api = await startApiProcess({ settings: { publicBaseUrl, adminToken, people } });
        const admin = api.client(adminToken, 'admin');
        const tenant = await admin.request<{ id: string }>('POST', '/admin/v1/tenants', { json: { name: 'Cookie policy', credits: 0 } });
        expect(tenant.status, tenant.text).toBe(201);
        const invitation = await operatorInvite({ api: api.client(''), admin, publicBaseUrl }, tenant.body.id, uniqueEmail('cookie'), 'viewer');
        const browser = new ConsoleSession(api.client(''), new URL(publicBaseUrl).origin);
        return { browser, accepted: await browser.acceptInvitation(invitation.token, PASSWORD), sql: api.sql };
      };

      const https = await join('https://console.example.com');
      expect(https.accepted.status, https.accepted.text).toBe(200);
      const [secure] = sessionCookiesOf(https.accepted);
      expect(secure?.name).toBe('__Host-kontext_session');
      expect(secure?.attributes).toHaveProperty('secure');
      expect(secure?.attributes).toHaveProperty('httponly');
      expect(secure?.attributes).not.toHaveProperty('domain');
      expect(secure?.attributes.path).toBe('/');
      expect(secure?.attributes.samesite?.toLowerCase()).toBe('lax');
      expect((await https.browser.current()).status).toBe(200);

      // Plain HTTP on a public name: the cookie could be read on the network, so no session; the link is not used up.
      const plain = await join('http://console.example.com');
      expectProblem(plain.accepted, 403);
      expect(sessionCookiesOf(plain.accepted)).toEqual([]);
      expect((await plain.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM invitations`)[0]?.count).toBe(1);
      expect((await plain.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM users`)[0]?.count).toBe(0);

      const allowed = await join('http://console.example.com', { allowInsecureCookies: true });
      expect(allowed.accepted.status, allowed.accepted.text).toBe(200);
      const [insecure] = sessionCookiesOf(allowed.accepted);
      expect(insecure?.name).toBe('kontext_session');
      expect(insecure?.attributes).not.toHaveProperty('secure');
    },
    SLOW,
  );

  it(
    'signing out clears the cookie, and the old cookie is 401',
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      const stolen = member.browser.clone();
      const signedOut = await member.browser.signOut();
      expect(signedOut.status, signedOut.text).toBe(204);
      const [cleared] = sessionCookiesOf(signedOut);
      expect(cleared?.name).toBe('kontext_session');
      expect(cleared?.attributes.path).toBe('/');
      expect(cleared?.value === '' || Number(cleared?.attributes['max-age']) === 0).toBe(true);
      expect(member.browser.cookie).toBeUndefined();
      expectProblem(await stolen.current(), 401);
      expectProblem(await stolen.request('GET', '/v1/members'), 401);
      expectProblem(await stolen.signOut(), 401);
      const audit = await tenant.api.request<{ data: { actor: { id: string | null }; target: string | null }[] }>('GET', '/v1/audit-log?action=session.signed_out');
      expect(audit.body.data).toEqual([expect.objectContaining({ actor: expect.objectContaining({ kind: 'user', id: member.userId }), target: stolen.sessionId })]);
    },
    SLOW,
  );

  it(
    "GET /v1/me/sessions lists the user's sessions; one can end another device's, not another user's",
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'developer');
      const laptop = member.browser;
      const phone = await signInAgain(platform, member);
      const stranger = await joinTenant(platform, tenant.tenantId, 'owner');

      const listed = await laptop.request<UserSessionList>('GET', '/v1/me/sessions', { headers: { 'user-agent': 'laptop browser' } });
      expect(listed.status, listed.text).toBe(200);
      expect(UserSessionListSchema.safeParse(listed.body).success).toBe(true);
      expect(listed.body.data.map((session) => [session.id, session.current]).sort()).toEqual(
        [
          [laptop.sessionId, true],
          [phone.sessionId, false],
        ].sort(),
      );
      expect(listed.text).not.toContain(stranger.browser.sessionId!);

      // Another user's session id is not found, and that session carries on.
      expectProblem(await laptop.request('DELETE', `/v1/me/sessions/${stranger.browser.sessionId}`), 404);
      expect((await stranger.browser.current()).status).toBe(200);

      expect((await laptop.request('DELETE', `/v1/me/sessions/${phone.sessionId}`)).status).toBe(204);
      expectProblem(await phone.current(), 401);
      expectProblem(await laptop.request('DELETE', `/v1/me/sessions/${phone.sessionId}`), 404);
      expect((await laptop.request<UserSessionList>('GET', '/v1/me/sessions')).body.data.map((session) => session.id)).toEqual([laptop.sessionId]);
      expect((await laptop.current()).status).toBe(200);
      const audit = await tenant.api.request<{ data: unknown[] }>('GET', '/v1/audit-log?action=session.revoked');
      expect(audit.body.data).toEqual([expect.objectContaining({ actor: expect.objectContaining({ kind: 'user', id: member.userId }), target: phone.sessionId })]);
    },
    SLOW,
  );

  it(
    "changing the password: the current one is checked, every other session ends, the caller carries on",
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      const browser = member.browser;
      const otherDevice = await signInAgain(platform, member);
      const newPassword = 'a brand new passphrase';

      expectProblem(await browser.changePassword('not the current one', newPassword), 403, ['current_password']);
      expectProblem(await browser.changePassword(member.password, 'short'), 422, ['new_password']);
      expect((await otherDevice.current()).status).toBe(200);

      const before = browser.clone();
      const changed = await browser.changePassword(member.password, newPassword);
      expect(changed.status, changed.text).toBe(200);
      expect(sessionCookiesOf(changed)).toHaveLength(1);
      expect(changed.body.id).not.toBe(before.sessionId);
      expect(browser.sessionId).toBe(changed.body.id);
      expectProblem(await otherDevice.current(), 401);
      expectProblem(await before.current(), 401);
      const current = await browser.current();
      expect(current.status, current.text).toBe(200);
      expect(current.body.user.id).toBe(member.userId);
      // A write with the new session's token works.
      expect((await browser.request('DELETE', `/v1/me/sessions/${otherDevice.sessionId}`)).status).toBe(404);
      expect((await browser.request<UserSessionList>('GET', '/v1/me/sessions')).body.data.map((session) => session.id)).toEqual([browser.sessionId]);

      expectProblem(await ConsoleSession.of(platform).signIn(member.email, member.password), 401);
      expect((await ConsoleSession.of(platform).signIn(member.email, newPassword)).status).toBe(200);
    },
    SLOW,
  );
});

describe('guessing a password with a session', () => {
  it(
    "wrong current passwords on POST /v1/me/password count as failed sign-ins: a stolen cookie cannot guess faster than a sign-in form",
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      const thief = member.browser.clone();
      for (let attempt = 1; attempt <= 3; attempt++) expectProblem(await thief.changePassword(`guess number ${attempt}`, 'the thief would set this'), 403, ['current_password']);
      const refused = await thief.changePassword(member.password, 'the thief would set this');
      expect(expectProblem(refused, 429).limit).toBe('sign_in_failures_per_account');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // One count for the account: the sign-in form is refused too, and the password is unchanged.
      expect(expectProblem(await ConsoleSession.of(platform).signIn(member.email, member.password), 429).limit).toBe('sign_in_failures_per_account');
      expect((await member.browser.current()).status).toBe(200);
    },
    SLOW,
  );

  it(
    'a right current password changes it, and clears the count',
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'viewer');
      for (const guess of ['wrong one', 'wrong two']) expectProblem(await member.browser.changePassword(guess, 'a new long password'), 403);
      expect((await member.browser.changePassword(member.password, 'a new long password')).status).toBe(200);
      for (const guess of ['wrong three', 'wrong four']) expectProblem(await ConsoleSession.of(platform).signIn(member.email, guess), 401);
      expect((await ConsoleSession.of(platform).signIn(member.email, 'a new long password')).status).toBe(200);
    },
    SLOW,
  );
});

describe("the local owner's one-time link", () => {
  it(
    'signs in as the owner of the development tenant, once',
    async ({ platform }) => {
      expect(platform.consoleSignInUrl).toMatch(new RegExp(`^${platform.publicBaseUrl}/console/sign-in#token=sgn_[A-Za-z0-9_-]{43}$`));
      expect((await readFile(join(platform.dataDir, 'console-sign-in-url'), 'utf8')).trim()).toBe(platform.consoleSignInUrl);
      const token = tokenOfLink(platform.consoleSignInUrl);

      const browser = ConsoleSession.of(platform);
      const signedIn = await browser.signInWithLink(token);
      expect(signedIn.status, signedIn.text).toBe(200);
      expect(sessionCookiesOf(signedIn)).toHaveLength(1);
      const session: Session = signedIn.body;
      expect(session.user.email).toBe('owner@kontext.localhost');
      expect(session.tenant.role).toBe('owner' satisfies MemberRole);
      expect(session.scopes).toEqual([...ROLE_SCOPES.owner]);
      // The development tenant: the one the dev key belongs to.
      const members = await platform.api.request<{ data: { user_id: string; role: string }[] }>('GET', '/v1/members');
      expect(members.body.data).toEqual([expect.objectContaining({ user_id: session.user.id, role: 'owner' })]);
      const devKeys = await platform.api.request<{ data: { id: string }[] }>('GET', '/v1/keys');
      const sessionKeys = await browser.request<{ data: { id: string }[] }>('GET', '/v1/keys');
      expect(sessionKeys.body.data).toEqual(devKeys.body.data);

      const again = ConsoleSession.of(platform);
      expectProblem(await again.signInWithLink(token), 401);
      expect(again.cookie).toBeUndefined();
      expect((await browser.current()).status).toBe(200);
    },
    SLOW,
  );
});
