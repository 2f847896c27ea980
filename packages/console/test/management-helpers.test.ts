import { describe, expect, test } from 'vitest';
import type { UserSession } from '../src/api/types.ts';
import type { WebhookDelivery } from '../src/api/webhooks-queries.ts';
import { describeUserAgent, otherSessions, sessionsInOrder } from '../src/lib/account.ts';
import { creditsHref, ledgerKindOf, signedCredits } from '../src/lib/credits.ts';
import { hrefWith, searchParam } from '../src/lib/page-search.ts';
import { actorLabel, assignableRoles, auditActionOf, auditDetails, mayChangeRole, mayRemove, personLabel, teamHref } from '../src/lib/team.ts';
import {
  attemptError,
  attemptsInOrder,
  deliveryFilter,
  endpointLabel,
  endpointUrlProblem,
  eventsLabel,
  goneAnswers,
  IN_FLIGHT_POLL_MAX_MS,
  IN_FLIGHT_POLL_MIN_MS,
  inFlightPollMs,
  lastAttempt,
  mergeInFlight,
  overlapLabel,
  rotationOverlap,
  webhooksHref,
  webhooksSearch,
} from '../src/lib/webhooks.ts';

// The pure rules of the Webhooks, Credits, Team and Account pages: filters in the address, who
// is offered what, and which deliveries are in flight (the only rows polled).

describe('filters in the address', () => {
  test('a parameter is read as text, empty or missing is none', () => {
    expect(searchParam('?kind=grant', 'kind')).toBe('grant');
    expect(searchParam('kind=grant&x=1', 'x')).toBe('1');
    expect(searchParam('?kind=', 'kind')).toBeUndefined();
    expect(searchParam('', 'kind')).toBeUndefined();
  });

  test('addresses carry only the set filters, encoded', () => {
    expect(hrefWith('/credits', { kind: undefined })).toBe('/credits');
    expect(hrefWith('/team', { action: 'member.joined' })).toBe('/team?action=member.joined');
    expect(hrefWith('/x', { a: 'b c&d', b: null, c: '' })).toBe('/x?a=b+c%26d');
    expect(creditsHref('grant')).toBe('/credits?kind=grant');
    expect(creditsHref(undefined)).toBe('/credits');
    expect(teamHref(undefined)).toBe('/team');
    expect(webhooksHref({ endpoint: 'whe_01ABC', outcome: 'failed' })).toBe('/webhooks?endpoint=whe_01ABC&outcome=failed');
  });

  test('the delivery log sends only filters the API knows', () => {
    expect(deliveryFilter(webhooksSearch('?endpoint=whe_01JABCDEF&outcome=failed'))).toEqual({ endpoint_id: 'whe_01JABCDEF', outcome: 'failed' });
    expect(deliveryFilter(webhooksSearch('?endpoint=../../admin&outcome=lost'))).toEqual({});
    expect(deliveryFilter({})).toEqual({});
  });

  test('unknown kinds and actions are no filter', () => {
    expect(ledgerKindOf('refund')).toBe('refund');
    expect(ledgerKindOf('gift')).toBeUndefined();
    expect(ledgerKindOf(undefined)).toBeUndefined();
    expect(auditActionOf('member.role_changed')).toBe('member.role_changed');
    expect(auditActionOf('member.deleted')).toBeUndefined();
  });
});

describe('webhooks', () => {
  const delivery = (overrides: Partial<WebhookDelivery>): WebhookDelivery => ({
    id: 'msg_1',
    job_id: null,
    endpoint_id: 'whe_1',
    url: 'https://example.com/hook',
    event_type: 'webhook.test',
    status: 'pending',
    attempts: 0,
    next_attempt_at: null,
    last_status_code: null,
    last_error: null,
    created_at: '2025-12-02T12:00:00.000Z',
    delivered_at: null,
    attempt_log: [],
    ...overrides,
  });

  test('events and endpoints read as people name them', () => {
    expect(eventsLabel(['job.started', 'job.succeeded', 'job.failed', 'job.moderated', 'job.canceled'])).toBe('every job event');
    expect(eventsLabel(['job.failed', 'job.canceled'])).toBe('job.failed, job.canceled');
    expect(endpointLabel({ description: '  Billing service ', url: 'https://a.example/x' })).toBe('Billing service');
    expect(endpointLabel({ description: '', url: 'https://a.example/x' })).toBe('a.example/x');
    expect(overlapLabel(0)).toBe('stops at once');
    expect(overlapLabel(86_400)).toBe('keeps signing for 24 hours');
  });

  test('two secrets sign only until the overlap ends', () => {
    const now = new Date('2025-12-02T12:00:00Z');
    expect(rotationOverlap({ secret_rotation_ends_at: '2025-12-03T12:00:00Z' }, now)).toBe('2025-12-03T12:00:00Z');
    expect(rotationOverlap({ secret_rotation_ends_at: '2025-12-02T11:00:00Z' }, now)).toBeNull();
    expect(rotationOverlap({ secret_rotation_ends_at: null }, now)).toBeNull();
  });

  test("an attempt's error is shown when it says more than its status code", () => {
    expect(attemptError(500, 'the receiver answered 500')).toBeNull();
    expect(attemptError(302, 'a redirect (3xx) is not followed')).toBe('a redirect (3xx) is not followed');
    expect(attemptError(null, 'timed out after 15 s')).toBe('timed out after 15 s');
    expect(attemptError(200, null)).toBeNull();
  });

  test('a new 410 Gone answer changes what the page watches for (it disables the endpoint)', () => {
    expect(goneAnswers([delivery({ id: 'a', last_status_code: 500 }), delivery({ id: 'b', status: 'failed', attempts: 1, last_status_code: 410 })])).toBe('b:1');
    expect(goneAnswers([delivery({ id: 'a', last_status_code: 200 })])).toBe('');
  });

  test('the URL check before sending', () => {
    expect(endpointUrlProblem('https://example.com/hook')).toBeNull();
    expect(endpointUrlProblem(' http://127.0.0.1:9/x ')).toBeNull();
    expect(endpointUrlProblem('example.com/hook')).toMatch(/full address/);
    expect(endpointUrlProblem('ftp://example.com')).toMatch(/https:\/\/ or http:\/\//);
  });

  test('attempts in the order they were made; a redelivery restarts the count', () => {
    const attempt = (n: number, second: number) => ({
      attempt: n,
      started_at: `2025-12-02T12:00:0${second}Z`,
      duration_ms: 5,
      status_code: 500,
      error: null,
      response_excerpt: null,
    });
    const redelivered = delivery({ attempt_log: [attempt(1, 5), attempt(2, 1), attempt(1, 0)] });
    expect(attemptsInOrder(redelivered).map((entry) => [entry.attempt, entry.redelivery])).toEqual([
      [1, false],
      [2, false],
      [1, true],
    ]);
    expect(lastAttempt(redelivered)?.started_at).toBe('2025-12-02T12:00:05Z');
    expect(lastAttempt(delivery({}))).toBeUndefined();
  });

  describe('deliveries in flight', () => {
    const listAt = 1_000;

    test('a newer poll replaces pending rows with their fresher copies', () => {
      const rows = [delivery({ id: 'a' }), delivery({ id: 'b', status: 'succeeded' })];
      const fresher = delivery({ id: 'a', attempts: 1, last_status_code: 500, next_attempt_at: '2025-12-02T12:00:05Z' });
      const merged = mergeInFlight(rows, { rows: [fresher], complete: true, at: 2_000 }, listAt);
      expect(merged.rows.map((row) => [row.id, row.attempts])).toEqual([
        ['a', 1],
        ['b', 0],
      ]);
      expect(merged.settled).toEqual([]);
    });

    test('a pending row a newer, complete poll lacks has settled: the log is read again', () => {
      const merged = mergeInFlight([delivery({ id: 'a' }), delivery({ id: 'b' })], { rows: [delivery({ id: 'b' })], complete: true, at: 2_000 }, listAt);
      expect(merged.settled).toEqual(['a']);
      expect(merged.rows.map((row) => row.id)).toEqual(['a', 'b']);
    });

    test('an older poll, or one that did not see every pending delivery, settles nothing', () => {
      const rows = [delivery({ id: 'a' })];
      expect(mergeInFlight(rows, { rows: [], complete: true, at: 500 }, listAt).settled).toEqual([]);
      expect(mergeInFlight(rows, { rows: [], complete: false, at: 2_000 }, listAt).settled).toEqual([]);
      expect(mergeInFlight(rows, undefined, listAt)).toEqual({ rows, settled: [] });
    });

    test('no polling without pending rows; otherwise just after the soonest next attempt, within bounds', () => {
      const now = new Date('2025-12-02T12:00:00.000Z');
      expect(inFlightPollMs([delivery({ status: 'succeeded' }), delivery({ status: 'failed' })], now)).toBeNull();
      expect(inFlightPollMs([], now)).toBeNull();
      // Being delivered now (no next attempt): as soon as allowed.
      expect(inFlightPollMs([delivery({})], now)).toBe(IN_FLIGHT_POLL_MIN_MS);
      expect(inFlightPollMs([delivery({ next_attempt_at: '2025-12-02T12:00:05.000Z' }), delivery({ next_attempt_at: '2025-12-02T12:00:03.000Z' })], now)).toBe(3_500);
      expect(inFlightPollMs([delivery({ next_attempt_at: '2025-12-02T14:00:00.000Z' })], now)).toBe(IN_FLIGHT_POLL_MAX_MS);
      expect(inFlightPollMs([delivery({ next_attempt_at: '2025-12-02T11:00:00.000Z' })], now)).toBe(IN_FLIGHT_POLL_MIN_MS);
    });
  });
});

describe('the team', () => {
  const owner = { scopes: ['members:read', 'members:write', 'audit:read'] as const, tenant: { role: 'owner' as const }, user: { id: 'usr_me' } };
  const admin = { ...owner, tenant: { role: 'admin' as const } };
  const viewer = { scopes: ['members:read'] as const, tenant: { role: 'viewer' as const }, user: { id: 'usr_me' } };
  const as = <T extends { scopes: readonly string[] }>(actor: T) => actor as unknown as Parameters<typeof mayRemove>[0];

  test('owners give every role, admins every role but owner, others none', () => {
    expect(assignableRoles(as(owner))).toEqual(['owner', 'admin', 'developer', 'billing', 'viewer']);
    expect(assignableRoles(as(admin))).toEqual(['admin', 'developer', 'billing', 'viewer']);
    expect(assignableRoles(as(viewer))).toEqual([]);
  });

  test("only an owner is offered an owner's role; a viewer is offered nothing", () => {
    expect(mayChangeRole(as(owner), { role: 'owner' })).toBe(true);
    expect(mayChangeRole(as(admin), { role: 'owner' })).toBe(false);
    expect(mayChangeRole(as(admin), { role: 'developer' })).toBe(true);
    expect(mayChangeRole(as(viewer), { role: 'viewer' })).toBe(false);
  });

  test('removing is for others (yourself: leave), with the same authority', () => {
    expect(mayRemove(as(owner), { role: 'admin', user_id: 'usr_other' })).toBe(true);
    expect(mayRemove(as(owner), { role: 'owner', user_id: 'usr_me' })).toBe(false);
    expect(mayRemove(as(admin), { role: 'owner', user_id: 'usr_other' })).toBe(false);
    expect(mayRemove(as(viewer), { role: 'viewer', user_id: 'usr_other' })).toBe(false);
  });

  test('actors, details and people as text', () => {
    expect(actorLabel({ kind: 'user', id: 'usr_1', email: 'ada@example.com' })).toBe('ada@example.com');
    expect(actorLabel({ kind: 'api_key', id: 'key_1', email: null })).toBe('API key key_1');
    expect(actorLabel({ kind: 'operator', id: null, email: null })).toBe('the platform operator');
    expect(actorLabel({ kind: 'anonymous', id: null, email: null })).toBe('someone not signed in');
    expect(auditDetails({ from: 'viewer', to: 'developer', left: false, note: null })).toBe('from: viewer, to: developer, left: false');
    expect(personLabel({ name: 'Ada', email: 'ada@example.com' })).toBe('Ada (ada@example.com)');
    expect(personLabel({ name: ' ', email: 'ada@example.com' })).toBe('ada@example.com');
  });
});

describe('credits', () => {
  test('amounts carry their sign', () => {
    expect(signedCredits(10_000)).toBe('+10,000');
    expect(signedCredits(-25)).toBe('−25');
    expect(signedCredits(-2.5)).toBe('−2.5');
    expect(signedCredits(0)).toBe('0');
  });
});

describe('sessions', () => {
  const session = (id: string, current: boolean, lastSeen: string, userAgent: string | null = null): UserSession => ({
    id,
    current,
    created_at: '2025-12-01T00:00:00Z',
    last_seen_at: lastSeen,
    expires_at: '2025-12-15T00:00:00Z',
    user_agent: userAgent,
    client_address: '203.0.113.7',
  });

  test('devices as people recognise them', () => {
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/146.0.0.0 Safari/537.36')).toBe('Chrome on Linux');
    expect(describeUserAgent('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15')).toBe('Safari on macOS');
    expect(describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe('Firefox on Windows');
    expect(describeUserAgent('Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0')).toBe('Edge on Windows');
    expect(describeUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1')).toBe('Safari on iOS');
    expect(describeUserAgent('curl/8.5.0')).toBe('curl');
    expect(describeUserAgent('something else')).toBe('An unknown browser');
    expect(describeUserAgent(null)).toBe('An unknown device');
  });

  test('this device first, then the most recently used; "everywhere else" is the rest', () => {
    const list = [session('a', false, '2025-12-02T10:00:00Z'), session('b', true, '2025-12-02T09:00:00Z'), session('c', false, '2025-12-02T11:00:00Z')];
    expect(sessionsInOrder(list).map((entry) => entry.id)).toEqual(['b', 'c', 'a']);
    expect(otherSessions(list).map((entry) => entry.id)).toEqual(['a', 'c']);
  });
});
