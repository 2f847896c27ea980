import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../src/index.ts';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('sleep', () => {
  it('resolves true once the time has passed, and not before', async () => {
    let elapsed: boolean | undefined;
    void sleep(1000).then((value) => (elapsed = value));
    await vi.advanceTimersByTimeAsync(999);
    expect(elapsed).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(elapsed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves false at once, with no timer, when the signal has already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(sleep(60_000, abort.signal)).resolves.toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('resolves false when the signal aborts during the wait, clearing its timer and listener', async () => {
    const abort = new AbortController();
    const sleeping = sleep(60_000, abort.signal);
    expect(vi.getTimerCount()).toBe(1);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    abort.abort();
    await expect(sleeping).resolves.toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('ends on whichever of several signals aborts, and leaves none of them a listener', async () => {
    const wakeup = new AbortController();
    const shutdown = new AbortController();
    const sleeping = sleep(60_000, undefined, wakeup.signal, shutdown.signal);
    wakeup.abort();
    await expect(sleeping).resolves.toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(wakeup.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });

  it('removes its listener when the time runs out, so a long-lived signal gathers none', async () => {
    const shutdown = new AbortController();
    const sleeping = sleep(5, shutdown.signal);
    await vi.advanceTimersByTimeAsync(5);
    await expect(sleeping).resolves.toBe(true);
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });
});
