import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobUrlSigner, contentTypeOf, FilesystemBlobStore, SIGNED_BLOB_PATH, type BlobStore } from '../src/index.ts';
import { collect, describeBlobStoreConformance, uniqueTenantPrefix, type BlobStoreHandle } from './conformance.ts';

const SECRET = 'filesystem-store-test-secret-0123456789abcdef';

/**
 * Mirrors what the API's GET /v1/blobs/{token} route does for filesystem storage: verify the
 * signature and expiry, then serve the blob from the store (403 refused, 404 missing).
 */
function startBlobServer(signer: () => BlobUrlSigner, store: () => BlobStore): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const prefix = `${SIGNED_BLOB_PATH}/`;
      if (request.method !== 'GET' || !url.pathname.startsWith(prefix)) {
        response.writeHead(404).end();
        return;
      }
      const check = signer().verify(
        url.pathname.slice(prefix.length),
        url.searchParams.get('expires') ?? '',
        url.searchParams.get('signature') ?? '',
      );
      if (!check.ok) {
        response.writeHead(403, { 'content-type': 'text/plain' }).end(check.reason);
        return;
      }
      const bytes = await store().get(check.key);
      if (!bytes) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': contentTypeOf(check.key), 'content-length': bytes.length }).end(bytes);
    })().catch(() => {
      response.writeHead(500).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function makeFilesystemStore(): Promise<BlobStoreHandle & { store: FilesystemBlobStore; root: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-blobs-'));
  const root = join(dir, 'root');
  await mkdir(root);
  let signer: BlobUrlSigner | undefined;
  let store: FilesystemBlobStore | undefined;
  const server = await startBlobServer(
    () => signer!,
    () => store!,
  );
  const { port } = server.address() as AddressInfo;
  signer = new BlobUrlSigner(SECRET, `http://127.0.0.1:${port}/`);
  store = new FilesystemBlobStore({ root, signer });
  return {
    store,
    root,
    dir,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeBlobStoreConformance('FilesystemBlobStore', makeFilesystemStore);

describe('FilesystemBlobStore specifics', () => {
  let handle: Awaited<ReturnType<typeof makeFilesystemStore>>;

  beforeAll(async () => {
    handle = await makeFilesystemStore();
  });

  afterAll(async () => {
    await handle?.close();
  });

  it('lays blobs out as files under the root, one directory per key segment', async () => {
    const prefix = uniqueTenantPrefix();
    const key = `${prefix}inputs/abc.png`;
    await handle.store.put(key, new Uint8Array([1, 2, 3]), { contentType: 'image/png' });
    expect(new Uint8Array(await readFile(join(handle.root, ...key.split('/'))))).toEqual(new Uint8Array([1, 2, 3]));
    // No temporary file is left behind after a successful put.
    expect(await readdir(join(handle.root, ...`${prefix}inputs`.split('/')))).toEqual(['abc.png']);
  });

  it('does not list a temporary file left behind by a crashed put', async () => {
    const prefix = uniqueTenantPrefix();
    const key = `${prefix}inputs/done.png`;
    await handle.store.put(key, new Uint8Array([1]), { contentType: 'image/png' });
    // Temporary files live in <root>/.partial, a name no key can take (keys never start with a dot).
    await mkdir(join(handle.root, '.partial'), { recursive: true });
    await writeFile(join(handle.root, '.partial', randomBytes(4).toString('hex')), new Uint8Array([1, 2]));
    expect(await collect(handle.store.list(prefix))).toEqual([key]);
    expect(await collect(handle.store.list(''))).not.toContainEqual(expect.stringMatching(/^\.partial/));
    expect(await handle.store.get(`${prefix}inputs/half.png`)).toBeNull();
  });

  it('list never yields keys outside the root, whatever the prefix', async () => {
    // A file next to the root, which no key can name.
    await writeFile(join(handle.dir, 'outside.png'), new Uint8Array([1]));
    const escaped: string[] = [];
    for (const prefix of ['../', '../outside', './../']) {
      try {
        escaped.push(...(await collect(handle.store.list(prefix))));
      } catch {
        // Refusing an invalid prefix is fine too.
      }
    }
    expect(escaped).toEqual([]);
  });

  it('signs URLs against the public base URL without a doubled slash', async () => {
    const key = `${uniqueTenantPrefix()}x.png`;
    const url = new URL(await handle.store.signedUrl(key, { expiresInSeconds: 60 }));
    expect(url.pathname).toBe(`${SIGNED_BLOB_PATH}/${Buffer.from(key).toString('base64url')}`);
    expect(Number(url.searchParams.get('expires'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 59);
  });

  it('a signed URL for a deleted blob is a 404, not a 200', async () => {
    const key = `${uniqueTenantPrefix()}x.png`;
    await handle.store.put(key, new Uint8Array([1]), { contentType: 'image/png' });
    const url = await handle.store.signedUrl(key, { expiresInSeconds: 60 });
    await handle.store.delete(key);
    const response = await fetch(url);
    expect(response.status).toBe(404);
    await response.arrayBuffer();
  });

  it('maps extensions to content types', () => {
    expect(contentTypeOf('a/b.png')).toBe('image/png');
    expect(contentTypeOf('a/b.jpg')).toBe('image/jpeg');
    expect(contentTypeOf('a/b.JPEG')).toBe('image/jpeg');
    expect(contentTypeOf('a/b.webp')).toBe('image/webp');
    expect(contentTypeOf('a/b.gif')).toBe('application/octet-stream');
    expect(contentTypeOf('a/noextension')).toBe('application/octet-stream');
  });
});
