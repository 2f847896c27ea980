import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generateApiKey } from '@kontext/core';
import { describe, expect } from 'vitest';
import { countFiles, countRows, type RowCounts } from '../../../test/harness/counts.ts';
import { dataUrl, decompressionBombPng, pngImage } from '../../../test/harness/images.ts';
import { ApiClient, type ApiResponse } from '../../../test/harness/api-client.ts';
import { test } from '../../../test/harness/fixtures.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';
import { expectProblem as expectProblemResponse, type Problem } from '../../../test/harness/problems.ts';

// Every bad input gets its status and a problem document naming the field, and writes nothing:
// no row in any table, no blob, no queue message.

const MAX_BODY_BYTES = 4 * 1024 * 1024;

test.override({
  platformOptions: {
    workerLoops: 0,
    maxBodyBytes: MAX_BODY_BYTES,
    // Hostnames in URL inputs resolve to loopback here, which the SSRF guard must refuse.
    resolve: async (hostname) => [{ address: hostname === 'ten.example.test' ? '10.1.2.3' : '127.0.0.1', family: 4 }],
  },
});

/** A real image server on loopback, for the file: what a URL input would point at. */
const it = test.extend('imageServerPort', { scope: 'file' }, async ({}, { onCleanup }) => {
  const image = await pngImage({ width: 64, height: 64 });
  const imageServer: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'image/png' });
    response.end(image);
  });
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => imageServer.close(() => resolve())));
  return (imageServer.address() as AddressInfo).port;
});

async function snapshot(platform: TestPlatform): Promise<{ rows: RowCounts; files: number }> {
  return { rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) };
}

async function expectNothingWritten(platform: TestPlatform, before: { rows: RowCounts; files: number }): Promise<void> {
  expect(await snapshot(platform)).toEqual(before);
}


/** Sends a request that must be refused with a problem naming `fields`, and must write nothing. */
async function expectProblem(platform: TestPlatform, send: () => Promise<ApiResponse>, status: number, fields: string[] = []): Promise<Problem> {
  const before = await snapshot(platform);
  const problem = expectProblemResponse(await send(), status, fields);
  await expectNothingWritten(platform, before);
  return problem;
}

describe('malformed requests', () => {
  it('malformed JSON -> 400', async ({ platform }) => {
    const problem = await expectProblem(
      platform,
      () => platform.api.request('POST', '/v1/flux-kontext-dev', { rawBody: '{"prompt": ', headers: { 'content-type': 'application/json' } }),
      400,
    );
    expect(problem.detail).toMatch(/JSON/);
  });

  it('a body that is not JSON -> 415', async ({ platform }) => {
    await expectProblem(platform, () => platform.api.request('POST', '/v1/flux-kontext-dev', { rawBody: 'prompt=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
  });

  it('a missing or unknown key -> 401, even with a valid body', async ({ platform }) => {
    const image = (await pngImage({ width: 16, height: 16, seed: 3 })).toString('base64');
    await expectProblem(platform, () => platform.api.submit({ prompt: 'x', input_image: image }, { key: null }), 401);
    await expectProblem(platform, () => platform.api.submit({ prompt: 'x', input_image: image }, { key: generateApiKey('live') }), 401);
  });

  it('unknown model route -> 404', async ({ platform }) => {
    await expectProblem(platform, () => platform.api.submit({ prompt: 'x' }, { model: 'flux-kontext-ultra' }), 404);
  });

  it('body over the limit -> 413, by Content-Length', async ({ platform }) => {
    // Over the socket: Content-Length is what fetch puts on the wire; an in-process request has none.
    const overSocket = new ApiClient(platform.url, platform.devApiKey);
    const problem = await expectProblem(platform, () => overSocket.submit({ prompt: 'x', input_image: 'A'.repeat(MAX_BODY_BYTES) }), 413);
    expect(problem.detail).toContain(String(MAX_BODY_BYTES));
  });
});

describe('schema violations -> 422 naming every field', () => {
  it.for<[Record<string, unknown>, string[]]>([
    [{}, ['prompt']],
    [{ prompt: '   ' }, ['prompt']],
    [{ prompt: 'x', seed: -1 }, ['seed']],
    [{ prompt: 'x', seed: 1.5 }, ['seed']],
    [{ prompt: 'x', aspect_ratio: '22:9' }, ['aspect_ratio']],
    [{ prompt: 'x', aspect_ratio: 'wide' }, ['aspect_ratio']],
    [{ prompt: 'x', output_format: 'gif' }, ['output_format']],
    [{ prompt: 'x', safety_tolerance: 9 }, ['safety_tolerance']],
    [{ prompt: 'x', webhook_url: 'ftp://example.com/hook' }, ['webhook_url']],
    [{ prompt: 'x', steps: 0 }, ['steps']],
    [{ prompt: 'x', steps: 51 }, ['steps']],
    [{ prompt: 'x', width: 1024, height: 768 }, ['width', 'height']],
    [{ prompt: 'x', mask: 'abc', raw: true }, ['mask', 'raw']],
    [{ prompt: 7, seed: 'one' }, ['prompt', 'seed']],
  ])('%j', async ([body, fields], { platform }) => {
    await expectProblem(platform, () => platform.api.submit(body), 422, fields);
  });

  it('tells a missing field from one of the wrong type', async ({ platform }) => {
    const missing = await expectProblem(platform, () => platform.api.submit({ seed: 1 }), 422, ['prompt']);
    expect(missing.errors).toEqual([{ field: 'prompt', message: 'is required' }]);
    const wrongType = await expectProblem(platform, () => platform.api.submit({ prompt: 'x', steps: 'many' }), 422, ['steps']);
    expect(wrongType.errors?.[0]?.message).toMatch(/expected number, received string/);
  });

  it('more image fields than supported are named, never silently dropped', async ({ platform }) => {
    const image = (await pngImage({ width: 8, height: 8 })).toString('base64');
    const problem = await expectProblem(
      platform,
      () => platform.api.submit({ prompt: 'x', input_image: image, input_image_5: image, input_image_10: image }),
      422,
      ['input_image_5', 'input_image_10'],
    );
    expect(problem.detail).toMatch(/at most 4 input images/);
  });

  it('a reference image without input_image -> 422', async ({ platform }) => {
    const image = (await pngImage({ width: 8, height: 8 })).toString('base64');
    await expectProblem(platform, () => platform.api.submit({ prompt: 'x', input_image_2: image }), 422, ['input_image_2']);
  });

  it('a missing or malformed poll id -> 422', async ({ platform }) => {
    await expectProblem(platform, () => platform.api.request('GET', '/v1/get_result'), 422, ['id']);
  });
});

describe('bad input images -> 422 before anything is written', () => {
  it('bytes that are not an image', async ({ platform }) => {
    const problem = await expectProblem(
      platform,
      () => platform.api.submit({ prompt: 'x', input_image: Buffer.from('this is not an image at all').toString('base64') }),
      422,
      ['input_image'],
    );
    expect(problem.detail).toMatch(/not a PNG, JPEG or WebP/);
  });

  it('text that is neither base64 nor a URL', async ({ platform }) => {
    await expectProblem(platform, () => platform.api.submit({ prompt: 'x', input_image: 'file:///etc/passwd' }), 422, ['input_image']);
  });

  it('a truncated PNG', async ({ platform }) => {
    const png = await pngImage({ width: 300, height: 200 });
    const problem = await expectProblem(
      platform,
      () => platform.api.submit({ prompt: 'x', input_image: png.subarray(0, Math.floor(png.length / 2)).toString('base64') }),
      422,
      ['input_image'],
    );
    expect(problem.detail).toMatch(/could not be decoded/);
  });

  it('a decompression bomb (tiny file, huge declared size) is refused from its header', async ({ platform }) => {
    const bomb = decompressionBombPng(60_000, 60_000);
    expect(bomb.length).toBeLessThan(2_000);
    const problem = await expectProblem(platform, () => platform.api.submit({ prompt: 'x', input_image: dataUrl(bomb) }), 422, ['input_image']);
    expect(problem.detail).toMatch(/declares 60000x60000 pixels/);
  });

  it('an image over 20 megapixels', async ({ platform }) => {
    const problem = await expectProblem(
      platform,
      () => platform.api.submit({ prompt: 'x', input_image: dataUrl(decompressionBombPng(5000, 4001)) }),
      422,
      ['input_image'],
    );
    expect(problem.detail).toMatch(/limit is 20 MP/);
  });

  it('the second image is named when only it is bad, and the good first one is not stored', async ({ platform }) => {
    const good = (await pngImage({ width: 32, height: 32, seed: 77 })).toString('base64');
    await expectProblem(
      platform,
      () => platform.api.submit({ prompt: 'x', input_image: good, input_image_2: randomBytes(200).toString('base64') }),
      422,
      ['input_image_2'],
    );
  });
});

describe('URL inputs go through the SSRF guard', () => {
  it('a loopback URL is refused', async ({ platform, imageServerPort }) => {
    const problem = await expectProblem(
      platform,
      () => platform.api.submit({ prompt: 'x', input_image: `http://127.0.0.1:${imageServerPort}/a.png` }),
      422,
      ['input_image'],
    );
    expect(problem.detail).toMatch(/private, loopback or reserved/);
  });

  it('a hostname that resolves to a private address is refused after DNS resolution', async ({ platform, imageServerPort }) => {
    await expectProblem(platform, () => platform.api.submit({ prompt: 'x', input_image: `http://ten.example.test:${imageServerPort}/a.png` }), 422, ['input_image']);
    await expectProblem(platform, () => platform.api.submit({ prompt: 'x', input_image: `http://images.example.test:${imageServerPort}/a.png` }), 422, ['input_image']);
  });

  it('a cloud metadata address is refused', async ({ platform }) => {
    await expectProblem(platform, () => platform.api.submit({ prompt: 'x', input_image: 'http://169.254.169.254/latest/meta-data/' }), 422, ['input_image']);
  });
});
