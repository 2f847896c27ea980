import { describe, expect } from 'vitest';
import { ConsoleSession, sessionCookiesOf } from '../../../test/harness/console-session.ts';
import { it } from '../../../test/harness/fixtures.ts';
import { PASSWORD, uniqueEmail } from '../../../test/harness/people.ts';
import { expectProblem } from '../../../test/harness/problems.ts';

// Self-service sign-up (SIGNUP=open): a new tenant with the opening grant, the person as its
// owner, signed in; one account per address. Off (the default), the route does not exist.
// Sign-ups count per client address (10 per window, all `unknown` in process): this file makes few.

it.override({ platformOptions: { transport: 'in-process', workerLoops: 0, people: { signup: 'open', signupCredits: 500 } } });

const SLOW = 60_000;

describe('POST /v1/signup (SIGNUP=open)', () => {
  it(
    'makes a tenant with SIGNUP_CREDITS and its owner, signed in; the same address again is 409',
    async ({ platform, sql }) => {
      const email = uniqueEmail('founder');
      const browser = ConsoleSession.of(platform);
      const signedUp = await browser.signUp({ email: email.toUpperCase(), password: PASSWORD, name: ' Grace ', tenant_name: '  Hopper Labs ' });
      expect(signedUp.status, signedUp.text).toBe(201);
      expect(sessionCookiesOf(signedUp)).toHaveLength(1);
      const session = signedUp.body;
      expect(session.user).toMatchObject({ email, name: 'Grace' });
      expect(session.tenant).toMatchObject({ name: 'Hopper Labs', role: 'owner' });
      expect(session.tenants).toEqual([session.tenant]);
      const tenantId = session.tenant.id;

      const credits = await browser.request<{ credits: number; reserved: number }>('GET', '/v1/credits');
      expect(credits.status, credits.text).toBe(200);
      expect(credits.body).toEqual({ credits: 500, reserved: 0 });
      const ledger = await browser.request<{ data: { kind: string; amount: number; balance_after: number; reason: string }[] }>('GET', '/v1/credits/ledger');
      expect(ledger.body.data).toEqual([expect.objectContaining({ kind: 'grant', amount: 500, balance_after: 500, reason: 'opening balance' })]);
      const members = await browser.request<{ data: { user_id: string; role: string }[] }>('GET', '/v1/members');
      expect(members.body.data).toEqual([expect.objectContaining({ user_id: session.user.id, email, role: 'owner' })]);
      const audit = await browser.request<{ data: { action: string; target: string; details: Record<string, unknown> }[] }>('GET', '/v1/audit-log');
      expect(audit.body.data).toEqual([expect.objectContaining({ action: 'tenant.created', target: tenantId, details: { via: 'sign-up', credits: 500 } })]);

      // The owner runs the tenant: a key made in the console works and sees the same balance.
      const key = await browser.request<{ key: string }>('POST', '/v1/keys', { json: { name: 'first key' } });
      expect(key.status, key.text).toBe(201);
      expect((await platform.client(key.body.key).request('GET', '/v1/credits')).body).toEqual({ credits: 500, reserved: 0 });

      const countTenants = async () => (await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM tenants`)[0]!.count;
      const tenantsBefore = await countTenants();
      const again = ConsoleSession.of(platform);
      expectProblem(await again.signUp({ email, password: 'another long password', tenant_name: 'Second try' }), 409, ['email']);
      expect(again.cookie).toBeUndefined();
      expect(await countTenants()).toBe(tenantsBefore);
      // The account is the first sign-up's: its password signs in, to its tenant.
      const signedIn = ConsoleSession.of(platform);
      expect((await signedIn.signIn(email, PASSWORD)).body.tenant.id).toBe(tenantId);
    },
    SLOW,
  );

  it(
    'two sign-ups with one address at once (a double submit) make one account and one tenant: 201 and 409',
    async ({ platform, sql }) => {
      const email = uniqueEmail('double');
      const countTenants = async () => (await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM tenants`)[0]!.count;
      const tenantsBefore = await countTenants();
      const answers = await Promise.all(
        ['Double One', 'Double Two'].map((name) => ConsoleSession.of(platform).signUp({ email, password: PASSWORD, tenant_name: name })),
      );
      expect(answers.map((answer) => answer.status).sort(), answers.map((answer) => answer.text).join('\n')).toEqual([201, 409]);
      expect(await countTenants()).toBe(tenantsBefore + 1);
      const [users] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM users WHERE email = ${email}`;
      expect(users?.count).toBe(1);
    },
    SLOW,
  );

  it('refuses a weak password, a blank team name and a cross-site form, making nothing', async ({ platform, sql }) => {
    const email = uniqueEmail('refused');
    expectProblem(await ConsoleSession.of(platform).signUp({ email, password: 'short', tenant_name: 'Team' }), 422, ['password']);
    expectProblem(await ConsoleSession.of(platform).signUp({ email, password: PASSWORD, tenant_name: '   ' }), 422, ['tenant_name']);
    expectProblem(await ConsoleSession.of(platform).request('POST', '/v1/signup', { json: { email, password: PASSWORD, tenant_name: 'Team' }, fetchSite: 'cross-site' }), 403);
    const [row] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM users WHERE email = ${email}`;
    expect(row?.count).toBe(0);
  });
});

describe('POST /v1/signup (SIGNUP off, the default)', () => {
  it('does not exist: 404, and is not in the OpenAPI document', async ({ startApiProcess }) => {
    const api = await startApiProcess();
    const signUp = await api.app.request('http://localhost/v1/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail('closed'), password: PASSWORD, tenant_name: 'Closed' }),
    });
    expect(signUp.status).toBe(404);
    expect(signUp.headers.getSetCookie()).toEqual([]);
    const document = (await (await api.app.request('http://localhost/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toContain('/v1/session');
    expect(Object.keys(document.paths)).not.toContain('/v1/signup');
    const [row] = await api.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM users`;
    expect(row?.count).toBe(0);
  });
});
