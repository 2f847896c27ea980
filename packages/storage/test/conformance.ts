import { randomBytes } from 'node:crypto';
import { sleep } from '@kontext/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidBlobKeyError, type BlobStore } from '../src/port.ts';

// A conformance suite over the BlobStore port only: the filesystem adapter and a future S3
// adapter must both pass it. Signed URLs are fetched with plain fetch, so `makeStore` must hand
// back a store whose URLs something actually serves (the filesystem run starts a tiny server).

export interface BlobStoreHandle {
  store: BlobStore;
  close(): Promise<void>;
}

export const INVALID_KEYS: readonly string[] = [
  '../x',
  '/abs',
  'a//b',
  'a/../b',
  'a/./b',
  '..',
  '.',
  'a/',
  '',
  'has space.png',
  ' leading',
  'a\\b',
  'tab\there',
  'new\nline',
  'ünï.png',
  '.hidden',
  'x'.repeat(513),
];

export function describeBlobStoreConformance(name: string, makeStore: () => Promise<BlobStoreHandle>): void {
  describe(`BlobStore conformance: ${name}`, () => {
    let handle: BlobStoreHandle;
    let store: BlobStore;

    beforeAll(async () => {
      handle = await makeStore();
      store = handle.store;
    });

    afterAll(async () => {
      await handle?.close();
    });

    it('put, get, head and delete round-trip a blob', async () => {
      const key = `${uniqueTenantPrefix()}inputs/${hex(32)}.png`;
      const bytes = randomBytes(1500);
      await store.put(key, bytes, { contentType: 'image/png' });

      const read = await store.get(key);
      expect(read).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(read!).equals(bytes)).toBe(true);
      expect(await store.head(key)).toEqual({ byteSize: 1500, contentType: 'image/png' });

      await store.delete(key);
      expect(await store.get(key)).toBeNull();
      expect(await store.head(key)).toBeNull();
    });

    it('reports the content type of jpeg and webp blobs', async () => {
      const prefix = uniqueTenantPrefix();
      await store.put(`${prefix}a.jpg`, new Uint8Array([1, 2, 3]), { contentType: 'image/jpeg' });
      await store.put(`${prefix}b.webp`, new Uint8Array([4, 5]), { contentType: 'image/webp' });
      expect(await store.head(`${prefix}a.jpg`)).toEqual({ byteSize: 3, contentType: 'image/jpeg' });
      expect(await store.head(`${prefix}b.webp`)).toEqual({ byteSize: 2, contentType: 'image/webp' });
    });

    it('stores an empty blob', async () => {
      const key = `${uniqueTenantPrefix()}empty.png`;
      await store.put(key, new Uint8Array(0), { contentType: 'image/png' });
      expect(await store.get(key)).toEqual(new Uint8Array(0));
      expect(await store.head(key)).toMatchObject({ byteSize: 0 });
    });

    it('get and head of a missing key return null', async () => {
      const prefix = uniqueTenantPrefix();
      expect(await store.get(`${prefix}missing.png`)).toBeNull();
      expect(await store.head(`${prefix}missing.png`)).toBeNull();
      expect(await store.get(`${prefix}deeper/still/missing.png`)).toBeNull();
      expect(await store.head(`${prefix}deeper/still/missing.png`)).toBeNull();
    });

    it('a key that is only the prefix of other blobs is a missing blob', async () => {
      const prefix = uniqueTenantPrefix();
      const nested = `${prefix}outputs/job_1/1.png`;
      await store.put(nested, new Uint8Array([9, 9, 9]), { contentType: 'image/png' });
      const notABlob = `${prefix}outputs/job_1`;
      // Soft assertions: each operation's verdict is reported on its own.
      expect.soft(await settle(store.head(notABlob)), 'head').toEqual({ value: null });
      expect.soft(await settle(store.get(notABlob)), 'get').toEqual({ value: null });
      // Deleting a missing blob is not an error, and leaves the blobs under it alone.
      expect.soft(await settle(store.delete(notABlob)), 'delete').toEqual({ value: undefined });
      expect(await store.get(nested)).toEqual(new Uint8Array([9, 9, 9]));
      expect(await collect(store.list(prefix))).toEqual([nested]);
    });

    it('delete is idempotent', async () => {
      const key = `${uniqueTenantPrefix()}gone.png`;
      await expect(store.delete(key)).resolves.toBeUndefined();
      await store.put(key, new Uint8Array([1]), { contentType: 'image/png' });
      await store.delete(key);
      await expect(store.delete(key)).resolves.toBeUndefined();
      expect(await store.get(key)).toBeNull();
    });

    it('a second put of a key replaces the blob', async () => {
      const key = `${uniqueTenantPrefix()}replace.png`;
      await store.put(key, randomBytes(4096), { contentType: 'image/png' });
      const replacement = randomBytes(10);
      await store.put(key, replacement, { contentType: 'image/png' });
      expect(Buffer.from((await store.get(key))!).equals(replacement)).toBe(true);
      expect(await store.head(key)).toEqual({ byteSize: 10, contentType: 'image/png' });
    });

    it('list(prefix) returns exactly the keys under the prefix', async () => {
      const base = `tenants/${hex(6)}`;
      // Tenant ids where one is a string prefix of the other: still isolated by the trailing slash.
      const a = `${base}a/`;
      const ab = `${base}ab/`;
      const b = `${base}b/`;
      const aKeys = [`${a}inputs/${hex(8)}.png`, `${a}outputs/job_1/1.png`, `${a}outputs/job_1/2.jpg`, `${a}top.webp`];
      const abKeys = [`${ab}inputs/${hex(8)}.png`];
      const bKeys = [`${b}inputs/${hex(8)}.png`, `${b}outputs/job_2/1.png`];
      for (const key of [...aKeys, ...abKeys, ...bKeys]) await store.put(key, randomBytes(16), { contentType: 'image/png' });

      expect(await collect(store.list(a))).toEqual([...aKeys].sort());
      expect(await collect(store.list(ab))).toEqual([...abKeys].sort());
      expect(await collect(store.list(b))).toEqual([...bKeys].sort());
      expect(await collect(store.list(`${a}outputs/`))).toEqual(aKeys.filter((key) => key.startsWith(`${a}outputs/`)).sort());
      expect(await collect(store.list(`${a}outputs/job_1/`))).toEqual([`${a}outputs/job_1/1.png`, `${a}outputs/job_1/2.jpg`]);
      expect(await collect(store.list(`${base}c/`))).toEqual([]);
      // Without a trailing slash a prefix is a plain string prefix, as in S3.
      expect(await collect(store.list(`${base}a`))).toEqual([...aKeys, ...abKeys].sort());
      expect(await collect(store.list(`${a}outputs/job_1/1`))).toEqual([`${a}outputs/job_1/1.png`]);
      expect(await collect(store.list(`tenants/${hex(6)}/`))).toEqual([]);

      await store.delete(`${a}top.webp`);
      expect(await collect(store.list(a))).toEqual(aKeys.filter((key) => key !== `${a}top.webp`).sort());
    });

    it('list never shows a blob that is still being written', async () => {
      const prefix = uniqueTenantPrefix();
      const size = 2 * 1024 * 1024;
      const blobs = Array.from({ length: 12 }, (_, i) => ({ key: `${prefix}big/${i}.png`, bytes: randomBytes(size) }));
      const expected = new Set(blobs.map((blob) => blob.key));
      let writing = true;
      const puts = Promise.all(blobs.map((blob) => store.put(blob.key, blob.bytes, { contentType: 'image/png' }))).finally(() => {
        writing = false;
      });
      const sightings: string[][] = [];
      do {
        const listed = await collect(store.list(prefix));
        sightings.push(listed);
        // Every listed key is a complete blob, never a temporary or partial file.
        for (const key of listed) {
          expect(expected.has(key), `unexpected key listed: ${key}`).toBe(true);
          expect((await store.head(key))?.byteSize).toBe(size);
        }
      } while (writing);
      await puts;
      expect(sightings.length).toBeGreaterThan(0);
      expect(await collect(store.list(prefix))).toEqual([...expected].sort());
    });

    it('rejects invalid keys in every operation with InvalidBlobKeyError', async () => {
      for (const key of INVALID_KEYS) {
        const label = JSON.stringify(key.slice(0, 20));
        const operations: [string, () => Promise<unknown>][] = [
          ['put', () => store.put(key, new Uint8Array([1]), { contentType: 'image/png' })],
          ['get', () => store.get(key)],
          ['head', () => store.head(key)],
          ['delete', () => store.delete(key)],
          ['signedUrl', () => store.signedUrl(key, { expiresInSeconds: 60 })],
        ];
        for (const [operation, run] of operations) {
          await expect(run(), `${operation} ${label}`).rejects.toBeInstanceOf(InvalidBlobKeyError);
        }
      }
    });

    it('accepts a key of exactly 512 characters', async () => {
      const prefix = uniqueTenantPrefix();
      // Segments stay short: the key length is the contract, not the length of one path segment.
      let key = prefix;
      while (key.length < 500) key += `${'s'.repeat(Math.min(99, 505 - key.length))}/`;
      key += 'x'.repeat(512 - key.length - 4) + '.png';
      expect(key).toHaveLength(512);
      await store.put(key, new Uint8Array([7]), { contentType: 'image/png' });
      expect(await store.get(key)).toEqual(new Uint8Array([7]));
      await store.delete(key);
    });

    it('a signed URL serves the bytes before expiry and is refused after it', async () => {
      const key = `${uniqueTenantPrefix()}outputs/${hex(8)}/1.png`;
      const bytes = randomBytes(3000);
      await store.put(key, bytes, { contentType: 'image/png' });

      const signedAt = Date.now();
      const url = await store.signedUrl(key, { expiresInSeconds: 1 });
      const fresh = await fetch(url);
      expect(fresh.status).toBe(200);
      expect(fresh.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await fresh.arrayBuffer()).equals(bytes)).toBe(true);

      // A tampered URL is refused even before expiry.
      const tampered = new URL(url);
      const signature = tampered.searchParams.get('signature');
      if (signature) {
        tampered.searchParams.set('signature', flipFirstChar(signature));
        expect((await fetch(tampered)).status).toBe(403);
      }

      // Expiry is second-granular: two whole seconds after signing the URL is certainly past it.
      await sleep(Math.max(0, (Math.floor(signedAt / 1000) + 2) * 1000 + 100 - Date.now()));
      const stale = await fetch(url);
      expect(stale.status).toBe(403);
      await stale.arrayBuffer();
    });

    it('concurrent puts of one key end with one complete blob', async () => {
      const key = `${uniqueTenantPrefix()}contended.png`;
      const size = 512 * 1024;
      const candidates = Array.from({ length: 10 }, (_, i) => new Uint8Array(size).fill(i + 1));
      await Promise.all(candidates.map((bytes) => store.put(key, bytes, { contentType: 'image/png' })));

      const final = await store.get(key);
      expect(final).not.toBeNull();
      expect(final!.length).toBe(size);
      const first = final![0]!;
      expect(first).toBeGreaterThanOrEqual(1);
      expect(first).toBeLessThanOrEqual(10);
      expect(final!.every((byte) => byte === first)).toBe(true);
      expect(await store.head(key)).toEqual({ byteSize: size, contentType: 'image/png' });
      expect(await collect(store.list(key.slice(0, key.lastIndexOf('/') + 1)))).toEqual([key]);
    });
  });
}

/** A tenant prefix no other test uses, so tests never see each other's blobs. */
export function uniqueTenantPrefix(): string {
  return `tenants/ten_${hex(8)}/`;
}

export async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out.sort();
}

/** A promise's outcome as a value, so a rejection can be compared like a result. */
async function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function flipFirstChar(value: string): string {
  return (value[0] === 'A' ? 'B' : 'A') + value.slice(1);
}
