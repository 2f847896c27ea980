import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SealedSecretError, type KeyWrapper } from './port.ts';

// Key-encryption keys as files in one directory (on one machine: under DATA_DIR), each 32 random
// bytes in base64, named by when they were made. The newest seals; every one still present opens
// what it sealed. Rotating is adding a newer file (createKeyFile); maintenance re-seals what older
// keys sealed, after which their files can be deleted.

const KEY_FILE = /^(k[0-9]{14}-[0-9a-f]{6})\.key$/;
const DATA_KEY_CONTEXT = Buffer.from('kontext data key');

export class KeyFileWrapper implements KeyWrapper {
  readonly currentKeyId: string;
  readonly #keys: Map<string, Buffer>;
  readonly #directory: string;
  #dataKey: Promise<{ keyId: string; plaintext: Buffer; wrapped: Buffer }> | undefined;

  private constructor(directory: string, keys: Map<string, Buffer>) {
    this.#directory = directory;
    this.#keys = keys;
    this.currentKeyId = [...keys.keys()].sort().at(-1)!;
  }

  /** The keys in `directory`; the first key is made there if it has none. */
  static async load(directory: string): Promise<KeyFileWrapper> {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    let names = (await readdir(directory)).filter((name) => KEY_FILE.test(name));
    if (names.length === 0) names = [await createKeyFile(directory)];
    const keys = new Map<string, Buffer>();
    for (const name of names) {
      const key = Buffer.from((await readFile(join(directory, name), 'utf8')).trim(), 'base64');
      if (key.length !== 32) throw new Error(`${join(directory, name)} is not a 32-byte key in base64`);
      keys.set(KEY_FILE.exec(name)![1]!, key);
    }
    return new KeyFileWrapper(directory, keys);
  }

  async #reload(): Promise<void> {
    for (const [keyId, key] of (await KeyFileWrapper.load(this.#directory)).#keys) if (!this.#keys.has(keyId)) this.#keys.set(keyId, key);
  }

  /** One data key per process, wrapped by the current key-encryption key. */
  dataKey(): Promise<{ keyId: string; plaintext: Buffer; wrapped: Buffer }> {
    this.#dataKey ??= (async () => {
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.currentKeyId)!, iv);
      cipher.setAAD(DATA_KEY_CONTEXT);
      const wrapped = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return { keyId: this.currentKeyId, plaintext, wrapped };
    })();
    return this.#dataKey;
  }

  async unwrap(keyId: string, wrapped: Buffer): Promise<Buffer> {
    // A key added since this process started (a rotation another process already seals with).
    if (!this.#keys.has(keyId)) await this.#reload();
    const key = this.#keys.get(keyId);
    if (!key) throw new SealedSecretError(`key-encryption key ${keyId} is not in ${this.#directory}; it was removed before its values were re-sealed`);
    if (wrapped.length !== 12 + 32 + 16) throw new SealedSecretError('malformed wrapped data key');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, 12));
      decipher.setAAD(DATA_KEY_CONTEXT);
      decipher.setAuthTag(wrapped.subarray(12 + 32));
      return Buffer.concat([decipher.update(wrapped.subarray(12, 12 + 32)), decipher.final()]);
    } catch {
      throw new SealedSecretError(`the data key does not open with key-encryption key ${keyId}`);
    }
  }
}

/** Writes a new key-encryption key into `directory` (readable by its owner only); it seals from the next start on. */
export async function createKeyFile(directory: string, now = new Date()): Promise<string> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const name = `k${stamp}-${randomBytes(3).toString('hex')}.key`;
  const path = join(directory, name);
  await writeFile(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return name;
}
