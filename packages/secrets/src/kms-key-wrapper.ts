import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { SealedSecretError, type KeyWrapper } from './port.ts';

// Data keys from AWS KMS: GenerateDataKey gives a data key and its wrapped form, Decrypt unwraps
// one. The key-encryption key never leaves KMS, and rotating it is KMS's own (automatic yearly
// rotation keeps every older version able to decrypt), so every value is sealed under `kms`.

const ENCRYPTION_CONTEXT = { purpose: 'kontext-sealed-secrets' };

export class KmsKeyWrapper implements KeyWrapper {
  readonly currentKeyId = 'kms';
  readonly #client: KMSClient;
  readonly #keyId: string;
  readonly #lifetimeMs: number;
  #dataKey: { value: Promise<{ keyId: string; plaintext: Buffer; wrapped: Buffer }>; until: number } | undefined;

  /** `dataKeyLifetimeMs`: how long one data key seals new values before another is asked for. */
  constructor(client: KMSClient, keyId: string, options: { dataKeyLifetimeMs?: number } = {}) {
    this.#client = client;
    this.#keyId = keyId;
    this.#lifetimeMs = options.dataKeyLifetimeMs ?? 3600_000;
  }

  dataKey(): Promise<{ keyId: string; plaintext: Buffer; wrapped: Buffer }> {
    if (this.#dataKey && Date.now() < this.#dataKey.until) return this.#dataKey.value;
    const value = (async () => {
      const answer = await this.#client.send(
        new GenerateDataKeyCommand({ KeyId: this.#keyId, KeySpec: 'AES_256', EncryptionContext: ENCRYPTION_CONTEXT }),
      );
      if (!answer.Plaintext || !answer.CiphertextBlob) throw new Error('KMS returned no data key');
      return { keyId: this.currentKeyId, plaintext: Buffer.from(answer.Plaintext), wrapped: Buffer.from(answer.CiphertextBlob) };
    })();
    const entry = { value, until: Date.now() + this.#lifetimeMs };
    value.catch(() => {
      if (this.#dataKey === entry) this.#dataKey = undefined;
    });
    this.#dataKey = entry;
    return value;
  }

  async unwrap(keyId: string, wrapped: Buffer): Promise<Buffer> {
    if (keyId !== this.currentKeyId) throw new SealedSecretError(`a value sealed under ${keyId} cannot be opened with KMS`);
    const answer = await this.#client.send(new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext: ENCRYPTION_CONTEXT }));
    if (!answer.Plaintext) throw new SealedSecretError('KMS returned no data key');
    return Buffer.from(answer.Plaintext);
  }
}
