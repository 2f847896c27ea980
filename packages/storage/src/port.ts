// The storage port: tenant-scoped blobs with signed, expiring read URLs. The filesystem adapter
// serves one machine (the API serves its signed URLs); the S3 adapter presigns natively.

export interface BlobMetadata {
  byteSize: number;
  contentType: string;
}

export interface BlobStore {
  put(key: string, bytes: Uint8Array, options: { contentType: string }): Promise<void>;
  /** The bytes, or null when no blob has this key. */
  get(key: string): Promise<Uint8Array | null>;
  head(key: string): Promise<BlobMetadata | null>;
  /** Idempotent: deleting a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** Every key under a prefix (for retention sweeps, audits and tests). */
  list(prefix: string): AsyncIterable<string>;
  /** A URL anyone holding it can GET until it expires. */
  signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string>;
}

export class InvalidBlobKeyError extends Error {
  constructor(key: string) {
    super(`invalid storage key: ${JSON.stringify(key.slice(0, 80))}`);
    this.name = 'InvalidBlobKeyError';
  }
}

// Segments start with a letter or digit (so no `.`, `..` or hidden names) and stay well under
// filesystem name limits; keys are at most 512 characters.
const SEGMENT = '[A-Za-z0-9][A-Za-z0-9._-]{0,199}';
const KEY_PATTERN = new RegExp(`^${SEGMENT}(/${SEGMENT})*$`);
const PREFIX_PATTERN = new RegExp(`^(${SEGMENT}(/${SEGMENT})*/?)?$`);

/** Keys are relative paths of safe segments: no `..`, no leading slash, no empty segment. */
export function assertValidKey(key: string): void {
  if (key.length > 512 || !KEY_PATTERN.test(key)) throw new InvalidBlobKeyError(key);
}

/** A listing prefix: empty, or a key-like path optionally ending in `/`. */
export function assertValidPrefix(prefix: string): void {
  if (prefix.length > 512 || !PREFIX_PATTERN.test(prefix)) throw new InvalidBlobKeyError(prefix);
}
