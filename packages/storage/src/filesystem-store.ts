import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { assertValidKey, type BlobMetadata, type BlobStore } from './port.ts';
import type { BlobUrlSigner } from './url-signer.ts';

// Blobs as files under one root. Writes go to a temporary file first and are renamed into place,
// so a reader never sees half a blob and a crash leaves at most a stray temp file.

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

const TEMP_SUFFIX = '.partial';

export class FilesystemBlobStore implements BlobStore {
  readonly #root: string;
  readonly #signer: BlobUrlSigner;

  constructor(options: { root: string; signer: BlobUrlSigner }) {
    this.#root = options.root;
    this.#signer = options.signer;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomUUID()}${TEMP_SUFFIX}`;
    await writeFile(temp, bytes);
    await rename(temp, path);
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.#path(key)));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async head(key: string): Promise<BlobMetadata | null> {
    try {
      const info = await stat(this.#path(key));
      return { byteSize: info.size, contentType: contentTypeOf(key) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    const start = join(this.#root, ...prefix.split('/').filter(Boolean));
    const base = prefix.endsWith('/') || prefix === '' ? start : dirname(start);
    for await (const file of walk(base)) {
      const key = relative(this.#root, file).split(sep).join('/');
      if (key.startsWith(prefix) && !key.endsWith(TEMP_SUFFIX)) yield key;
    }
  }

  async signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string> {
    assertValidKey(key);
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

async function* walk(dir: string): AsyncIterable<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}

