import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { assertValidKey, assertValidPrefix, type BlobMetadata, type BlobStore } from './port.ts';
import type { BlobUrlSigner } from './url-signer.ts';

// Blobs as files under one root. Writes go to a temporary file in `<root>/.partial` first and are
// renamed into place, so a reader never sees half a blob and a crash leaves at most a stray temp
// file where no key can point (keys never start with a dot).

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

const PARTIAL_DIRECTORY = '.partial';

export class FilesystemBlobStore implements BlobStore {
  readonly #root: string;
  readonly #signer: BlobUrlSigner | undefined;

  /** Without a signer the store reads and writes but cannot hand out URLs (a worker never does). */
  constructor(options: { root: string; signer?: BlobUrlSigner }) {
    this.#root = options.root;
    this.#signer = options.signer;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(key);
    const partial = join(this.#root, PARTIAL_DIRECTORY);
    await Promise.all([mkdir(dirname(path), { recursive: true }), mkdir(partial, { recursive: true })]);
    const temp = join(partial, randomUUID());
    await writeFile(temp, bytes);
    try {
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.#path(key)));
    } catch (error) {
      // A key that names a folder of other blobs is not a blob (EISDIR).
      if (isMissing(error) || isDirectory(error)) return null;
      throw error;
    }
  }

  async head(key: string): Promise<BlobMetadata | null> {
    const info = await stat(this.#path(key)).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    });
    if (!info?.isFile()) return null;
    return { byteSize: info.size, contentType: contentTypeOf(key) };
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    // A key that names a folder of other blobs is not a blob: nothing to delete.
    if (await isFile(path)) await rm(path, { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidPrefix(prefix);
    const start = join(this.#root, ...prefix.split('/').filter(Boolean));
    const base = prefix.endsWith('/') || prefix === '' ? start : dirname(start);
    for await (const file of walk(base)) {
      const key = relative(this.#root, file).split(sep).join('/');
      if (key.startsWith(prefix) && !key.startsWith(`${PARTIAL_DIRECTORY}/`)) yield key;
    }
  }

  async signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string> {
    assertValidKey(key);
    if (!this.#signer) throw new Error('this blob store has no URL signer');
    return this.#signer.sign(key, Math.floor(Date.now() / 1000) + options.expiresInSeconds);
  }

  #path(key: string): string {
    assertValidKey(key);
    return join(this.#root, ...key.split('/'));
  }
}

export function contentTypeOf(key: string): string {
  const extension = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

async function* walk(dir: string): AsyncIterable<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function isDirectory(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EISDIR';
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}
