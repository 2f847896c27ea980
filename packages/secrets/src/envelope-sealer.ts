import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SealedSecretError, type KeyWrapper, type SecretSealer } from './port.ts';

// `sealed:v1:<key id>:<wrapped data key>:<iv>:<ciphertext and tag>`, base64url parts. The key id
// tells which key-encryption key wraps the data key, so keys can rotate while old values still open.

const PREFIX = 'sealed:v1:';
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Unwrapped data keys kept in memory, by wrapped form (a KMS Decrypt per open would be slow and costly). */
const UNWRAPPED_CACHE_LIMIT = 256;

export class EnvelopeSealer implements SecretSealer {
  readonly #keys: KeyWrapper;
  readonly #unwrapped = new Map<string, Promise<Buffer>>();

  constructor(keys: KeyWrapper) {
    this.#keys = keys;
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const key = await this.#keys.dataKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.plaintext, iv);
    cipher.setAAD(Buffer.from(`${key.keyId}\n${context}`));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${key.keyId}:${key.wrapped.toString('base64url')}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  async open(stored: string, context: string): Promise<string> {
    if (!stored.startsWith(PREFIX)) return stored;
    const [keyId, wrapped, iv, body] = stored.slice(PREFIX.length).split(':');
    if (!keyId || !KEY_ID_PATTERN.test(keyId) || !wrapped || !iv || !body) throw new SealedSecretError('malformed sealed value');
    const dataKey = await this.#dataKey(keyId, wrapped);
    const bytes = Buffer.from(body, 'base64url');
    if (bytes.length < 16) throw new SealedSecretError('malformed sealed value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(`${keyId}\n${context}`));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedSecretError('the sealed value does not open here (tampered, or sealed for another row)');
    }
  }

  isCurrent(stored: string): boolean {
    return stored.startsWith(this.currentPrefix);
  }

  get currentPrefix(): string {
    return `${PREFIX}${this.#keys.currentKeyId}:`;
  }

  #dataKey(keyId: string, wrapped: string): Promise<Buffer> {
    const cached = this.#unwrapped.get(wrapped);
    if (cached) return cached;
    const unwrapping = this.#keys.unwrap(keyId, Buffer.from(wrapped, 'base64url'));
    // A failed unwrap (a key not there, KMS refusing) is not kept: it may work next time.
    unwrapping.catch(() => this.#unwrapped.delete(wrapped));
    if (this.#unwrapped.size >= UNWRAPPED_CACHE_LIMIT) this.#unwrapped.delete(this.#unwrapped.keys().next().value as string);
    this.#unwrapped.set(wrapped, unwrapping);
    return unwrapping;
  }
}
