import type { ActiveApiKey } from '@kontext/db';

// A short-lived, bounded cache of verified keys, keyed by the key's SHA-256. Each API process
// (each Lambda instance) has its own and nothing invalidates it from outside, so its TTL is the
// bound on how long a revoked key keeps working anywhere: revocation takes effect everywhere
// within the TTL (5 s by default). An entry never outlives the key's own scheduled expiry
// (the end of a rotation's grace period).

interface Entry {
  key: ActiveApiKey;
  expiresAt: number;
}

export class ApiKeyCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: { ttlMs: number; maxEntries?: number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  get(keyHash: string, now = Date.now()): ActiveApiKey | undefined {
    const entry = this.#entries.get(keyHash);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(keyHash);
      return undefined;
    }
    return entry.key;
  }

  set(keyHash: string, key: ActiveApiKey, now = Date.now()): void {
    if (this.#ttlMs <= 0) return;
    const expiresAt = Math.min(now + this.#ttlMs, key.expiresAt ? key.expiresAt.getTime() : Number.POSITIVE_INFINITY);
    this.#entries.delete(keyHash);
    if (this.#entries.size >= this.#maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(keyHash, { key, expiresAt });
  }

  /** Drops a key from this process's cache (after revoking it here). */
  forgetKeyId(keyId: string): void {
    for (const [hash, entry] of this.#entries) if (entry.key.id === keyId) this.#entries.delete(hash);
  }

  clear(): void {
    this.#entries.clear();
  }
}
