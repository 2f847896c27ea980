import { createHash } from 'node:crypto';

/** SHA-256 hex of a key: what api_keys stores. Random 190-bit keys need no slow hash. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
