import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect } from 'vitest';
import { countFiles, countRows } from '../../../test/harness/counts.ts';
import { test } from '../../../test/harness/fixtures.ts';
import { jpegImage } from '../../../test/harness/images.ts';

// URL inputs and the 20 MB limit, on a platform configured like local development (private
// targets allowed, so a loopback server can play the remote image host) with the default body limit.

const MB = 1024 * 1024;

test.override({ platformOptions: { workerLoops: 1, allowPrivateUrlInputs: true } });

/** The remote image host, on loopback for the file: its base URL. */
const it = test.extend('base', { scope: 'file' }, async ({}, { onCleanup }) => {
  const photo = await jpegImage({ width: 900, height: 1600, seed: 2 });
  const huge = Buffer.alloc(21 * MB, 1);
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path === '/photo.jpg') {
      response.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    } else if (path.startsWith('/hop/')) {
      const n = Number(path.slice(5));
      response.writeHead(302, { location: n > 0 ? `/hop/${n - 1}` : '/photo.jpg' }).end();
    } else if (path === '/huge') {
      response.writeHead(200, { 'content-type': 'image/png' }).end(huge);
    } else if (path === '/huge-chunked') {
      response.writeHead(200, { 'content-type': 'image/png', 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 21; i++) response.write(Buffer.alloc(MB, 2));
      response.end();
    } else {
      response.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

describe('URL inputs', () => {
  it('an http URL is fetched, validated, stored and edited', async ({ platform, base }) => {
    const submitted = await platform.api.submit({ prompt: 'add a hat', input_image: `${base}/photo.jpg` });
    expect(submitted.status).toBe(200);
    expect(submitted.body.input_mp).toBeCloseTo(1.44, 2);
    const result = await platform.api.waitForResult(submitted.body.id);
    expect(result.status).toBe('Ready');
    // 900x1600 (9:16) snaps to 752x1392.
    expect(result.details).toMatchObject({ width: 752, height: 1392 });
  });

  it('redirects are followed up to the limit', async ({ platform, base }) => {
    const followed = await platform.api.submit({ prompt: 'x', input_image: `${base}/hop/4` });
    expect(followed.status).toBe(200);
    expect((await platform.api.waitForResult(followed.body.id)).status).toBe('Ready');
    const refused = await platform.api.submit({ prompt: 'x', input_image: `${base}/hop/6` });
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/redirects/);
  });

  it.for(['/huge', '/huge-chunked', '/missing'])('%s -> 422 and nothing written', async (path, { platform, base }) => {
    const before = { rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) };
    const response = await platform.api.submit({ prompt: 'x', input_image: `${base}${path}` });
    expect(response.status).toBe(422);
    expect(response.text).toContain('input_image');
    expect({ rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) }).toEqual(before);
  });
});

describe('the 20 MB input limit', () => {
  it('base64 over 20 MB is refused from its length, before decoding', async ({ platform }) => {
    const before = { rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) };
    const response = await platform.api.submit({ prompt: 'x', input_image: Buffer.alloc(21 * MB, 7).toString('base64') });
    expect(response.status).toBe(422);
    expect((response.body as unknown as { detail: string }).detail).toBe("input_image is 21 MB; the limit is 20 MB");
    expect({ rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) }).toEqual(before);
  });
});
