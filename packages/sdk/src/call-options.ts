/** What every call takes: a signal that aborts it (its retries and waits included). */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A POST's options: its Idempotency-Key too. */
export interface WriteOptions extends CallOptions {
  /** Default: a fresh random key for this call, the same on each of its retries. */
  idempotencyKey?: string;
}
