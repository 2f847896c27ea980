import { describe, expect, test } from 'vitest';
import { ApiError, createApiClient, pathWithQuery } from '../src/api/client.ts';
import type { Usage } from '../src/api/types.ts';
import { firstCurlCommand, shellQuote } from '../src/lib/curl.ts';
import { formatCredits, formatDuration, formatGrace, formatPercent, formatRelative, formatTime, maskedKey, statusLabel } from '../src/lib/format.ts';
import { activeJobsLabel, balanceWarning, overviewUsageQuery, summarizeUsage } from '../src/lib/overview.ts';
import { newPasswordProblem } from '../src/lib/passwords.ts';
import { fragmentToken, isPublicPath, routerHref, safeNext, signInHref } from '../src/lib/redirect.ts';
import { shouldRetry } from '../src/lib/retry.ts';
import { defaultKeyScopes, SCOPES } from '../src/lib/scopes.ts';

// The console's pure helpers: what the pages show and where they send people, without a browser.

describe('the sign-in redirect', () => {
  test('a lapsed session comes back to where it was, query included', () => {
    expect(signInHref('/console/keys')).toBe('/console/sign-in?next=%2Fconsole%2Fkeys');
    expect(signInHref('/console/usage?range=7d&group=model')).toBe('/console/sign-in?next=%2Fconsole%2Fusage%3Frange%3D7d%26group%3Dmodel');
  });

  test('no next for the home page or the signed-out pages', () => {
    expect(signInHref('/console/')).toBe('/console/sign-in');
    expect(signInHref('/console')).toBe('/console/sign-in');
    expect(signInHref('/console/sign-in?next=%2Fconsole%2Fkeys')).toBe('/console/sign-in');
    expect(signInHref('/console/reset-password')).toBe('/console/sign-in');
  });

  test('next is followed only within the console on this origin', () => {
    expect(safeNext('/console/keys?x=1')).toBe('/console/keys?x=1');
    expect(safeNext('/console')).toBe('/console');
    for (const hostile of [
      'https://evil.example/console/keys',
      '//evil.example/console/keys',
      '/\\evil.example/console',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/docs',
      '/console-evil/keys',
      '/console/../admin/v1/tenants',
      '/console/sign-in',
      '/console/accept-invitation',
      '',
      null,
      undefined,
    ]) {
      expect(safeNext(hostile), String(hostile)).toBe('/console/');
    }
  });

  test('a fragment never travels in next', () => {
    expect(safeNext('/console/keys#token=sgn_x')).toBe('/console/keys');
  });

  test('router paths drop the base', () => {
    expect(routerHref('/console/keys?x=1')).toBe('/keys?x=1');
    expect(routerHref('/console/')).toBe('/');
    expect(routerHref('/console')).toBe('/');
  });

  test('the signed-out pages are known with or without the base', () => {
    expect(isPublicPath('/console/sign-in')).toBe(true);
    expect(isPublicPath('/accept-invitation')).toBe(true);
    expect(isPublicPath('/console/reset-password/')).toBe(true);
    expect(isPublicPath('/console/keys')).toBe(false);
    expect(isPublicPath('/console/sign-in-elsewhere')).toBe(false);
  });
});

describe('tokens from emailed links', () => {
  const token = (prefix: string) => `${prefix}_${'A'.repeat(43)}`;

  test('the fragment token of the expected kind', () => {
    expect(fragmentToken(`#token=${token('sgn')}`, 'sgn')).toBe(token('sgn'));
    expect(fragmentToken(`token=${token('inv')}`, 'inv')).toBe(token('inv'));
    expect(fragmentToken(`#other=1&token=${token('pwr')}`, 'pwr')).toBe(token('pwr'));
  });

  test('none of another kind, malformed, or missing', () => {
    expect(fragmentToken(`#token=${token('inv')}`, 'sgn')).toBeNull();
    expect(fragmentToken('#token=sgn_short', 'sgn')).toBeNull();
    expect(fragmentToken(`#token=${token('sgn')}x`, 'sgn')).toBeNull();
    expect(fragmentToken('', 'sgn')).toBeNull();
    expect(fragmentToken('#', 'pwr')).toBeNull();
  });
});

describe('formatting', () => {
  test('credits, shares and durations', () => {
    expect(formatCredits(12345)).toBe('12,345');
    expect(formatCredits(2.5)).toBe('2.5');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.9876)).toBe('98.8%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
  });

  test('times in UTC, and relative to a given now', () => {
    expect(formatTime('2025-12-02T14:05:09Z')).toBe('2 Dec 2025, 14:05 UTC');
    expect(formatTime(null)).toBe('—');
    const now = new Date('2025-12-02T12:00:00Z');
    expect(formatRelative(null, now)).toBe('never');
    expect(formatRelative('2025-12-02T11:59:50Z', now)).toBe('just now');
    expect(formatRelative('2025-12-02T11:57:00Z', now)).toBe('3 minutes ago');
    expect(formatRelative('2025-12-03T12:00:00Z', now)).toBe('tomorrow');
    expect(formatRelative('2025-12-05T12:00:00Z', now)).toBe('in 3 days');
  });

  test('keys, statuses and grace periods', () => {
    expect(maskedKey({ prefix: 'kx_test_ab12', last_four: 'wxyz' })).toBe('kx_test_ab12…wxyz');
    expect(statusLabel('request_moderated')).toBe('request moderated');
    expect(formatGrace(0)).toBe('at once');
    expect(formatGrace(3600)).toBe('1 hour');
    expect(formatGrace(86_400)).toBe('24 hours');
    expect(formatGrace(7 * 86_400)).toBe('7 days');
  });
});

describe('the overview figures', () => {
  const figures = (jobs: number, credits: number, extra: Partial<Usage['totals']> = {}) => ({
    jobs,
    credits,
    input_mp: 0,
    output_mp: 0,
    avg_queue_ms: null,
    avg_engine_ms: null,
    p50_ms: null,
    p95_ms: null,
    ...extra,
  });
  const now = new Date('2025-12-10T15:30:00Z');
  const usage: Usage = {
    granularity: 'day',
    from: '2025-12-01T00:00:00.000Z',
    to: now.toISOString(),
    group_by: 'status',
    buckets: [
      { start: '2025-12-01T00:00:00.000Z', totals: figures(4, 40), groups: [{ key: 'succeeded', ...figures(3, 30) }, { key: 'failed', ...figures(1, 10) }] },
      {
        start: '2025-12-10T00:00:00+00:00',
        totals: figures(6, 60),
        groups: [
          { key: 'failed', ...figures(1, 10) },
          { key: 'succeeded', ...figures(5, 50) },
          { key: 'canceled', ...figures(0, 0) },
        ],
      },
    ],
    totals: figures(10, 100, { p50_ms: 900, p95_ms: 4200 }),
  };

  test('one usage query: month to date, by day and status', () => {
    expect(overviewUsageQuery(now)).toEqual({ from: '2025-12-01T00:00:00.000Z', granularity: 'day', group_by: 'status' });
  });

  test('month and today, today by status, success rate and latency', () => {
    const summary = summarizeUsage(usage, now);
    expect(summary).toEqual({
      monthCredits: 100,
      todayCredits: 60,
      monthJobs: 10,
      todayJobs: 6,
      todayByStatus: [
        { status: 'succeeded', jobs: 5 },
        { status: 'failed', jobs: 1 },
      ],
      successRate: 0.8,
      p50Ms: 900,
      p95Ms: 4200,
      dailySpend: 10,
    });
  });

  test('an empty month has no success rate and spends nothing', () => {
    const summary = summarizeUsage({ ...usage, buckets: [], totals: figures(0, 0) }, now);
    expect(summary.successRate).toBeNull();
    expect(summary.todayJobs).toBe(0);
    expect(summary.todayByStatus).toEqual([]);
    expect(summary.dailySpend).toBe(0);
  });

  test('the balance warning: empty, under a week at this rate, or none', () => {
    expect(balanceWarning({ credits: 0, reserved: 5 }, 10)).toEqual({ kind: 'empty' });
    expect(balanceWarning({ credits: 65, reserved: 0 }, 10)).toEqual({ kind: 'low', daysLeft: 6 });
    expect(balanceWarning({ credits: 70, reserved: 0 }, 10)).toBeNull();
    expect(balanceWarning({ credits: 5, reserved: 0 }, 0)).toBeNull();
  });

  test('active jobs say when there are more than a page', () => {
    expect(activeJobsLabel({ data: [1, 2], next_cursor: null }, { data: [3], next_cursor: null })).toBe('3');
    expect(activeJobsLabel({ data: new Array(100).fill(0), next_cursor: 'c' }, { data: [], next_cursor: null })).toBe('100+');
  });
});

describe('the first request', () => {
  test('a curl command for this origin and key', () => {
    expect(firstCurlCommand('https://api.example.com', 'kx_test_abc')).toBe(
      [
        "curl -sS -X POST 'https://api.example.com/v1/flux-kontext-dev' \\",
        "  -H 'x-key: kx_test_abc' \\",
        "  -H 'content-type: application/json' \\",
        `  -d '{"prompt":"a red bicycle leaning on a blue wall, morning light"}'`,
      ].join('\n'),
    );
  });

  test('single quotes in what it quotes stay quoted', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('passwords and scopes', () => {
  test('a new password is long enough and confirmed', () => {
    expect(newPasswordProblem('short', 'short')).toMatch(/at least 10/);
    expect(newPasswordProblem('long enough!', 'long enough?')).toMatch(/differ/);
    expect(newPasswordProblem('long enough!', 'long enough!')).toBeNull();
  });

  test('the key form offers the API default, within what the member holds', () => {
    const all = SCOPES.map((entry) => entry.scope);
    expect(defaultKeyScopes(all)).toEqual(['jobs:write', 'jobs:read', 'usage:read', 'credits:read', 'webhooks:read', 'webhooks:write']);
    expect(defaultKeyScopes(['jobs:read', 'usage:read', 'keys:write'])).toEqual(['jobs:read', 'usage:read']);
  });
});

describe('the API client', () => {
  interface Call {
    url: string;
    init: RequestInit;
  }
  const recording = (answer: (call: Call) => Response) => {
    const calls: Call[] = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const call = { url: String(input), init: init ?? {} };
      calls.push(call);
      return answer(call);
    }) as typeof globalThis.fetch;
    return { calls, fetch };
  };
  const json = (status: number, body: unknown, type = 'application/json') => new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
  const headersOf = (call: Call | undefined) => new Headers(call?.init.headers);

  test('sends the cookie, and the CSRF token on writes only', async () => {
    const { calls, fetch } = recording(() => json(200, { ok: true }));
    const api = createApiClient({ fetch });
    api.rememberCsrfToken('csrf-1');
    await api.get('/v1/keys');
    await api.request('POST', '/v1/keys', { body: { name: 'ci' } });
    await api.request('DELETE', '/v1/keys/key_1');
    expect(calls.map((call) => call.init.credentials)).toEqual(['same-origin', 'same-origin', 'same-origin']);
    expect(headersOf(calls[0]).get('x-csrf-token')).toBeNull();
    expect(headersOf(calls[1]).get('x-csrf-token')).toBe('csrf-1');
    expect(headersOf(calls[1]).get('content-type')).toBe('application/json');
    expect(calls[1]?.init.body).toBe('{"name":"ci"}');
    expect(headersOf(calls[2]).get('x-csrf-token')).toBe('csrf-1');
  });

  test('a write before any session answer fetches the token first', async () => {
    const { calls, fetch } = recording(() => json(200, {}));
    const api = createApiClient({ fetch, loadCsrfToken: async () => 'loaded' });
    await api.request('PUT', '/v1/session/tenant', { body: { tenant_id: 'ten_1' } });
    expect(headersOf(calls[0]).get('x-csrf-token')).toBe('loaded');
  });

  test('a 401 of a signed-in request reports the lapsed session; a sign-in refusal does not', async () => {
    const problem = { type: 'urn:x', title: 'Unauthorized', status: 401, detail: 'no session', message: 'no session', request_id: 'req_1' };
    const { fetch } = recording(() => json(401, problem, 'application/problem+json'));
    let lapsed = 0;
    const api = createApiClient({ fetch, onUnauthorized: () => lapsed++ });
    await expect(api.get('/v1/credits')).rejects.toMatchObject({ name: 'ApiError', status: 401, message: 'no session', requestId: 'req_1' });
    expect(lapsed).toBe(1);
    await expect(api.request('POST', '/v1/session', { body: {}, authenticated: false })).rejects.toBeInstanceOf(ApiError);
    expect(lapsed).toBe(1);
  });

  test('problems keep their detail, field and Retry-After; other errors their status', async () => {
    const { fetch } = recording((call) =>
      call.url.includes('throttled')
        ? new Response(JSON.stringify({ detail: 'slow down', errors: [{ field: 'email', message: 'x' }] }), {
            status: 429,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '30' },
          })
        : new Response('bad gateway', { status: 502, headers: { 'x-request-id': 'req_9' } }),
    );
    const api = createApiClient({ fetch });
    const throttled = await api.get('/v1/throttled').catch((error: unknown) => error);
    expect(throttled).toMatchObject({ status: 429, message: 'slow down', retryAfterSeconds: 30, field: 'email' });
    const gateway = await api.get('/v1/other').catch((error: unknown) => error);
    expect(gateway).toMatchObject({ status: 502, message: 'the server answered 502', requestId: 'req_9', problem: null });
  });

  test('204 and 202 answer nothing', async () => {
    const { fetch } = recording(() => new Response(null, { status: 204 }));
    await expect(createApiClient({ fetch }).request('DELETE', '/v1/session')).resolves.toBeUndefined();
    const accepted = recording(() => new Response(null, { status: 202 }));
    await expect(createApiClient({ fetch: accepted.fetch }).request('POST', '/v1/password-reset', { authenticated: false })).resolves.toBeUndefined();
  });

  test('a 202 with JSON answers it (a queued webhook delivery)', async () => {
    const { fetch } = recording(() => new Response(JSON.stringify({ id: 'msg_1', status: 'pending' }), { status: 202, headers: { 'content-type': 'application/json' } }));
    await expect(createApiClient({ fetch }).request('POST', '/v1/webhooks/endpoints/whe_1/test')).resolves.toEqual({ id: 'msg_1', status: 'pending' });
  });

  test('queries leave out unset values', () => {
    expect(pathWithQuery('/v1/usage', { from: '2025-12-01T00:00:00.000Z', mode: undefined, group_by: 'status' })).toBe(
      '/v1/usage?from=2025-12-01T00%3A00%3A00.000Z&group_by=status',
    );
    expect(pathWithQuery('/v1/keys', {})).toBe('/v1/keys');
  });

  test('one retry of what may pass, none of a 4xx', () => {
    const error = (status: number) => new ApiError(status, null, null, null);
    expect(shouldRetry(0, error(503))).toBe(true);
    expect(shouldRetry(0, error(429))).toBe(true);
    expect(shouldRetry(0, new TypeError('fetch failed'))).toBe(true);
    expect(shouldRetry(1, error(503))).toBe(false);
    for (const status of [400, 401, 403, 404, 409, 422]) expect(shouldRetry(0, error(status)), String(status)).toBe(false);
  });
});
