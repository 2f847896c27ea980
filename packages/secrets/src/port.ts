// The secrets port: seals a secret the platform must keep but not show (a webhook signing secret)
// into text a database can hold, and opens it again. Sealing is envelope encryption: each value is
// encrypted with AES-256-GCM under a data key, and the data key, wrapped by a key-encryption key the
// database never sees (a key file on one machine, a KMS key in AWS), travels with the value. The
// context (which row and column the value belongs to) is authenticated too, so a sealed value
// copied to another row does not open there.

export interface SecretSealer {
  seal(plaintext: string, context: string): Promise<string>;
  /** The plaintext; a value from before sealing existed (not sealed) is returned as it is. */
  open(stored: string, context: string): Promise<string>;
  /** Whether the value was sealed under the current key-encryption key (else maintenance re-seals it). */
  isCurrent(stored: string): boolean;
  /** What every value sealed under the current key-encryption key starts with (to find the others in SQL). */
  readonly currentPrefix: string;
}

/** A sealed value that does not open: tampered, copied to another row, or its key is gone. */
export class SealedSecretError extends Error {
  override readonly name = 'SealedSecretError';
}

/** Where the data keys come from and how they are unwrapped: a key file, or KMS. */
export interface KeyWrapper {
  /** The key-encryption key a new value is sealed under; part of every sealed value. */
  readonly currentKeyId: string;
  /** A data key for new values, with its wrapped form. */
  dataKey(): Promise<{ keyId: string; plaintext: Buffer; wrapped: Buffer }>;
  /** The data key a sealed value names. */
  unwrap(keyId: string, wrapped: Buffer): Promise<Buffer>;
}
