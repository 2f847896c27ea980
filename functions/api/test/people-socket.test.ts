import { describe, expect } from 'vitest';
import { ConsoleSession } from '../../../test/harness/console-session.ts';
import { test } from '../../../test/harness/fixtures.ts';
import { joinTenant, PASSWORD, uniqueEmail } from '../../../test/harness/people.ts';
import { startTestPlatform, type TestPlatform } from '../../../test/harness/platform.ts';
import { expectProblem } from '../../../test/harness/problems.ts';

// What needs a client address, so real sockets: the address in the audit log and the session
// list, and sign-in throttling per address (every test connects from loopback, so the address
// limit gets a platform of its own).

test.override({ platformOptions: { transport: 'socket', workerLoops: 0 } });

const SLOW = 60_000;
const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;
const ADDRESS_LIMIT = 4;

const it = test
  /** A platform whose sign-in address limit is low, for the one test about it (its count is the whole platform's). */
  .extend('addressLimitedPlatform', async ({}, { onCleanup }): Promise<TestPlatform> => {
    const platform = await startTestPlatform({ transport: 'socket', workerLoops: 0, people: { signInAddressFailureLimit: ADDRESS_LIMIT } });
    onCleanup(() => platform.stop());
    return platform;
  });

describe('over a socket', () => {
  it(
    'the audit log and the session list carry the client address (and the session its user agent)',
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'owner');
      const browser = ConsoleSession.of(platform);
      const signedIn = await browser.signIn(owner.email, owner.password, { headers: { 'user-agent': 'people-socket-test/1.0' } });
      expect(signedIn.status, signedIn.text).toBe(200);
      expectProblem(await ConsoleSession.of(platform).signIn(owner.email, 'not the password at all'), 401);
      expect((await browser.request('POST', '/v1/keys', { json: { name: 'from a socket' } })).status).toBe(201);

      const audit = await browser.request<{ data: { action: string; client_address: string | null; request_id: string | null }[] }>('GET', '/v1/audit-log');
      expect(audit.status, audit.text).toBe(200);
      // The newest entry of each action (the oldest key.created is the fixture's, made in process).
      const byAction = new Map([...audit.body.data].reverse().map((entry) => [entry.action, entry]));
      for (const action of ['member.joined', 'session.signed_in', 'session.sign_in_refused', 'key.created']) {
        expect(byAction.get(action)?.client_address, action).toMatch(LOOPBACK);
        expect(byAction.get(action)?.request_id, action).toMatch(/^req_/);
      }

      const sessions = await browser.request<{ data: { id: string; current: boolean; client_address: string | null; user_agent: string | null }[] }>('GET', '/v1/me/sessions');
      const current = sessions.body.data.find((session) => session.current);
      expect(current?.id).toBe(browser.sessionId);
      expect(current?.client_address).toMatch(LOOPBACK);
      expect(current?.user_agent).toBe('people-socket-test/1.0');
    },
    SLOW,
  );

  it(
    "past the address's failure limit every account is refused from there; a success clears the account's count, not the address's",
    async ({ addressLimitedPlatform: platform }) => {
      const tenant = await platform.createTenantWithKey();
      const members = [];
      for (let index = 0; index < 4; index++) members.push(await joinTenant(platform, tenant.tenantId, 'viewer'));
      const [first, second, third, fourth] = members as [(typeof members)[number], (typeof members)[number], (typeof members)[number], (typeof members)[number]];

      // Failures spread over accounts (and an unknown address), one each: no account comes near its own limit.
      expectProblem(await ConsoleSession.of(platform).signIn(first.email, 'wrong for the first'), 401);
      expectProblem(await ConsoleSession.of(platform).signIn(uniqueEmail('ghost'), PASSWORD), 401);
      expect((await ConsoleSession.of(platform).signIn(second.email, second.password)).status).toBe(200);
      expectProblem(await ConsoleSession.of(platform).signIn(second.email, 'wrong for the second'), 401);
      expectProblem(await ConsoleSession.of(platform).signIn(third.email, 'wrong for the third'), 401);

      const refused = await ConsoleSession.of(platform).signIn(fourth.email, fourth.password);
      const problem = expectProblem(refused, 429);
      expect(problem).toMatchObject({ limit: 'sign_in_failures_per_address', limit_value: ADDRESS_LIMIT });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(problem.retry_after_seconds).toBe(Number(refused.headers.get('retry-after')));
      expect(expectProblem(await ConsoleSession.of(platform).signIn(first.email, first.password), 429).limit).toBe('sign_in_failures_per_address');
      // Sessions already made carry on.
      expect((await fourth.browser.current()).status).toBe(200);
    },
    SLOW,
  );
});
