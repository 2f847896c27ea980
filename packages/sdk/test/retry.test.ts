import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfter, retryDelayMs, sleep } from '../src/retry.ts';

describe('Retry-After', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });

  it('reads an HTTP date, and a past one as 0', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('leaves anything else to backoff', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });

  it('wins over backoff', () => {
    expect(retryDelayMs(5, 1234)).toBe(1234);
  });
});

describe('backoff', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('grows exponentially, with half of each step random', () => {
    expect([0, 1, 2].map((attempt) => backoffDelayMs(attempt, policy, () => 0))).toEqual([50, 100, 200]);
    expect([0, 1, 2].map((attempt) => backoffDelayMs(attempt, policy, () => 1))).toEqual([100, 200, 400]);
  });

  it('is capped', () => {
    expect(backoffDelayMs(30, policy, () => 1)).toBe(1000);
    expect(backoffDelayMs(1000, policy, () => 1)).toBe(1000);
  });
});

describe('sleep', () => {
  it('rejects with the signal\'s reason at once when aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('enough');
    const waiting = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(sleep(10, controller.signal)).rejects.toBe(reason);
  });
});
