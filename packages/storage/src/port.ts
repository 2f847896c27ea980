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

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Keys are relative paths of safe segments: no `..`, no leading slash, no empty segment. */
export function assertValidKey(key: string): void {
  if (key.length > 512 || !KEY_PATTERN.test(key) || key.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new Error(`invalid storage key: ${JSON.stringify(key.slice(0, 80))}`);
  }
}
