import { describe, expect } from 'vitest';
import { it } from '../../../test/harness/fixtures.ts';
import { expectProblem } from '../../../test/harness/problems.ts';

// Wrong operator tokens are counted per source address: past the limit the address is refused
// with 429 and Retry-After, even with the right token, until the window ends; every failure is
// logged with the address and its count, never with the token.

const LIMIT = 3;
// Over the socket: the limit is per client address, which only a real connection has.
it.override({ platformOptions: { workerLoops: 0, adminAuthFailureLimit: LIMIT, transport: 'socket' } });

describe('the operator API limits failed authentications per address', () => {
  it(`after ${LIMIT} wrong tokens from one address, even the right token gets 429 with Retry-After`, async ({ platform }) => {
    const wrong = `kxadmin_wrong_${'x'.repeat(30)}`;
    // A request with no token at all is a mistake, not a guess: it is not counted.
    for (let i = 0; i < LIMIT + 2; i++) expectProblem(await platform.admin.request('GET', '/admin/v1/tenants', { key: null }), 401);
    for (let i = 0; i < LIMIT; i++) expectProblem(await platform.admin.request('GET', '/admin/v1/tenants', { key: wrong }), 401);

    const refused = await platform.admin.request('GET', '/admin/v1/tenants');
    const problem = expectProblem(refused, 429);
    expect(problem).toMatchObject({ limit: 'admin_auth_failures', limit_value: LIMIT });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    const failures = platform.logs.filter((line) => line.includes('operator authentication failed'));
    expect(failures).toHaveLength(LIMIT);
    expect(failures.map((line) => (JSON.parse(line) as { source: string; failures: number }).failures)).toEqual([1, 2, 3]);
    expect(failures.every((line) => (JSON.parse(line) as { source: string }).source === '127.0.0.1')).toBe(true);
    expect(platform.logs.some((line) => line.includes(wrong) || line.includes(platform.adminToken))).toBe(false);
    expect(platform.logs.some((line) => line.includes('operator authentication refused: too many failures'))).toBe(true);
  });

  it('the tenant API is not affected', async ({ platform }) => {
    expect((await platform.api.request('GET', '/v1/credits')).status).toBe(200);
  });
});
