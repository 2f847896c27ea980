import type { ActiveApiKey } from '@kontext/db';

// A short-lived, bounded cache of verified keys, keyed by the key's SHA-256. Each API process
// has its own; the TTL bounds how long a revoked key keeps working on a warm instance.

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
    this.#entries.delete(keyHash);
    if (this.#entries.size >= this.#maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(keyHash, { key, expiresAt: now + this.#ttlMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
