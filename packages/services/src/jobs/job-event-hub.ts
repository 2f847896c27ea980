import { JOB_EVENTS_CHANNEL } from '@kontext/core';
import type postgres from 'postgres';

/** Signals that a job may have changed; subscribers re-read the database when woken. */
export interface JobEventSource {
  /** Calls `onChange` whenever the job (may have) changed, until the returned function is called. */
  subscribe(jobId: string, onChange: () => void): Promise<() => void>;
  close(): Promise<void>;
}

/**
 * One LISTEN per process for job changes (the database notifies the job id on every status or
 * progress change), fanned out to whoever waits on that job: live status streams and submits that
 * asked to wait. Subscribers re-read the database when woken; a notification carries no state.
 */
export class JobEventHub implements JobEventSource {
  readonly #sql: postgres.Sql;
  readonly #subscribers = new Map<string, Set<() => void>>();
  #listening: Promise<{ unlisten(): Promise<void> }> | undefined;

  constructor(sql: postgres.Sql) {
    this.#sql = sql;
  }

  /** Calls `onChange` whenever the job changes, until the returned function is called. */
  async subscribe(jobId: string, onChange: () => void): Promise<() => void> {
    // postgres.js listens again by itself after a lost connection; a first LISTEN that failed (the
    // database was down) is not kept, so the next subscriber tries again.
    this.#listening ??= this.#sql
      .listen(JOB_EVENTS_CHANNEL, (changedJobId) => {
        for (const subscriber of this.#subscribers.get(changedJobId) ?? []) subscriber();
      })
      .catch((error: unknown) => {
        this.#listening = undefined;
        throw error;
      });
    await this.#listening;
    const subscribers = this.#subscribers.get(jobId) ?? new Set();
    subscribers.add(onChange);
    this.#subscribers.set(jobId, subscribers);
    return () => {
      subscribers.delete(onChange);
      if (subscribers.size === 0) this.#subscribers.delete(jobId);
    };
  }

  async close(): Promise<void> {
    const listening = this.#listening;
    this.#listening = undefined;
    if (listening) await listening.then((listener) => listener.unlisten()).catch(() => {});
  }
}

/**
 * Wakes every subscriber on a fixed interval instead of listening: for processes that cannot hold
 * a LISTEN connection (Lambda through RDS Proxy). Costs one re-read per subscriber per interval.
 */
export class PollingJobEvents implements JobEventSource {
  readonly #intervalMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  async subscribe(_jobId: string, onChange: () => void): Promise<() => void> {
    const timer = setInterval(onChange, this.#intervalMs);
    this.#timers.add(timer);
    return () => {
      clearInterval(timer);
      this.#timers.delete(timer);
    };
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
  }
}
