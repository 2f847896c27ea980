import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProblemError } from '@kontext/core';
import { authenticateApiKey, submitJob, type ServiceContext } from '@kontext/services';
import type { BlobStore } from '@kontext/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFiles, countRows, type RowCounts } from '../harness/counts.ts';
import { pngImage } from '../harness/images.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';

// A refused submit writes nothing: no row in any table a submit touches, no blob, for every kind
// of refusal (402, 403, 409, 422, 429 for the active-job limit and for the request rate, and a
// server error while the images are stored), even when it carries megabytes of new images. A
// submit whose client went away before admission is not committed either.

let platform: TestPlatform;
let slowImageServer: Server;
let slowImageUrl: string;
let slowRequests = 0;
let imageSeed = 100;

beforeAll(async () => {
  // No worker loops: a submitted job stays queued, holding its active slot.
  platform = await startTestPlatform({ workerLoops: 0, allowPrivateUrlInputs: true });
  const image = await pngImage({ width: 64, height: 64, seed: 9 });
  slowImageServer = createServer((_request, response) => {
    slowRequests += 1;
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(image);
    }, 1000);
  });
  await new Promise<void>((resolve) => slowImageServer.listen(0, '127.0.0.1', resolve));
  slowImageUrl = `http://127.0.0.1:${(slowImageServer.address() as AddressInfo).port}/slow.png`;
});

afterAll(async () => {
  await new Promise((resolve) => slowImageServer?.close(resolve));
  await platform?.stop();
});

/** Two images never sent before (distinct content, about 1 MB each): they would be new blobs. */
async function freshImages(): Promise<[string, string]> {
  const make = async () => (await pngImage({ width: 720, height: 480, seed: imageSeed++ })).toString('base64');
  return [await make(), await make()];
}

async function snapshot(): Promise<{ rows: RowCounts; files: number }> {
  return { rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) };
}

async function expectRefusedWritingNothing(send: () => Promise<{ status: number; text: string }>, status: number): Promise<void> {
  const before = await snapshot();
  const response = await send();
  expect(response.status, response.text).toBe(status);
  expect(await snapshot()).toEqual(before);
}

describe('a refused submit writes no row and no blob', () => {
  it('402: not enough credits', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 0 });
    const [first, second] = await freshImages();
    await expectRefusedWritingNothing(() => tenant.api.submit({ prompt: 'x', input_image: first, input_image_2: second }), 402);
  });

  it('403: the key lacks jobs:write, and a model the tenant may not use', async () => {
    const readOnly = await platform.createTenantWithKey({ scopes: ['jobs:read'] });
    const [first, second] = await freshImages();
    await expectRefusedWritingNothing(() => readOnly.api.submit({ prompt: 'x', input_image: first, input_image_2: second }), 403);
    const limited = await platform.createTenantWithKey({ limits: { allowed_models: ['flux-kontext-pro'] } });
    await expectRefusedWritingNothing(() => limited.api.submit({ prompt: 'x', input_image: first, input_image_2: second }), 403);
  });

  it('409: an edit of a job that has no output yet, with new reference images', async () => {
    const tenant = await platform.createTenantWithKey();
    const queued = await tenant.api.submit({ prompt: 'still queued' });
    expect(queued.status).toBe(200);
    const [first, second] = await freshImages();
    await expectRefusedWritingNothing(
      () => tenant.api.request('POST', `/v1/jobs/${queued.body.id}/edits`, { json: { prompt: 'x', input_image_2: first, input_image_3: second } }),
      409,
    );
  });

  it('422: one bad image among good ones', async () => {
    const tenant = await platform.createTenantWithKey();
    const [first, second] = await freshImages();
    await expectRefusedWritingNothing(() => tenant.api.submit({ prompt: 'x', input_image: first, input_image_2: second, input_image_3: 'bm90IGFuIGltYWdl' }), 422);
  });

  it('429: the active-job limit', async () => {
    const tenant = await platform.createTenantWithKey({ limits: { max_active_jobs: 1 } });
    expect((await tenant.api.submit({ prompt: 'holds the only slot' })).status).toBe(200);
    const [first, second] = await freshImages();
    await expectRefusedWritingNothing(() => tenant.api.submit({ prompt: 'x', input_image: first, input_image_2: second }), 429);
  });

  it('429: the request rate', async () => {
    const tenant = await platform.createTenantWithKey({ limits: { requests_per_minute_per_key: 1 } });
    expect((await tenant.api.request('GET', '/v1/credits')).status).toBe(200);
    const [first, second] = await freshImages();
    await expectRefusedWritingNothing(() => tenant.api.submit({ prompt: 'x', input_image: first, input_image_2: second }), 429);
  });

  it('a server error while storing the images: the admission is rolled back and the blobs already written are removed', async () => {
    const tenant = await platform.createTenantWithKey();
    const auth = await authenticateApiKey({ ctx: platform.ctx, input: { key: tenant.key } });
    const ctx: ServiceContext = { ...platform.ctx, storage: failingOnSecondPut(platform.ctx.storage) };
    const [first, second] = await freshImages();
    const before = await snapshot();
    await expect(
      submitJob({ ctx, input: { auth, modelId: 'flux-kontext-dev', request: { prompt: 'x', input_image: first, input_image_2: second }, requestId: 'req_test' } }),
    ).rejects.toThrow('disk full');
    expect(await snapshot()).toEqual(before);
    expect((await tenant.api.request<{ credits: number; reserved: number }>('GET', '/v1/credits')).body).toEqual({ credits: 10_000, reserved: 0 });
  });
});

describe('a submit whose client went away before admission', () => {
  it('is not admitted, at the service door', async () => {
    const tenant = await platform.createTenantWithKey();
    const auth = await authenticateApiKey({ ctx: platform.ctx, input: { key: tenant.key } });
    const [first] = await freshImages();
    const before = await snapshot();
    const gone = new AbortController();
    gone.abort();
    const submitted = submitJob({
      ctx: platform.ctx,
      input: { auth, modelId: 'flux-kontext-dev', request: { prompt: 'x', input_image: first }, requestId: 'req_gone', signal: gone.signal },
    });
    await expect(submitted).rejects.toSatisfy((error) => error instanceof ProblemError && error.kind === 'abandoned');
    expect(await snapshot()).toEqual(before);
  });

  it('is not admitted over HTTP: a client that hangs up while its URL input is still being fetched gets no job', async () => {
    const tenant = await platform.createTenantWithKey();
    const before = await snapshot();
    const hangUp = new AbortController();
    const requestsBefore = slowRequests;
    const sent = fetch(`${platform.url}/v1/flux-kontext-dev`, {
      method: 'POST',
      headers: { 'x-key': tenant.key, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', input_image: slowImageUrl }),
      signal: hangUp.signal,
    });
    // Hang up once the server is fetching the image (it answers a second later).
    await expect.poll(() => slowRequests, { timeout: 10_000 }).toBe(requestsBefore + 1);
    hangUp.abort();
    await expect(sent).rejects.toThrow();
    // The server finishes reading the image, then finds its client gone: the request is logged
    // as abandoned and nothing is written.
    await expect
      .poll(() => platform.logs.some((line) => line.includes('"status":499') && line.includes('/v1/flux-kontext-dev')), { timeout: 15_000 })
      .toBe(true);
    expect(await snapshot()).toEqual(before);
  });
});

/** The platform's blob store, except that its second put fails (after the first was written). */
function failingOnSecondPut(store: BlobStore): BlobStore {
  let puts = 0;
  return {
    put: async (key, bytes, options) => {
      puts += 1;
      if (puts === 2) throw new Error('disk full');
      await store.put(key, bytes, options);
    },
    get: (key) => store.get(key),
    head: (key) => store.head(key),
    delete: (key) => store.delete(key),
    list: (prefix) => store.list(prefix),
    signedUrl: (key, options) => store.signedUrl(key, options),
  };
}

