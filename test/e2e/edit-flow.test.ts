import postgres from 'postgres';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUrl, jpegImage, pngImage } from '../harness/images.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ workerLoops: 2 });
});

afterAll(async () => {
  await platform?.stop();
});

async function download(url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
}

// Several tests run jobs one after another, each wait with its own deadline: together more than the
// 30 s default on a loaded machine.
describe('an edit travels the whole way', { timeout: 120_000 }, () => {
  it('text-to-image reaches Ready with a 1024x1024 PNG sample', async () => {
    const submitted = await platform.api.submit({ prompt: 'a lighthouse at dusk', seed: 7 });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ cost: 2, input_mp: 0, output_mp: 1.0486 });
    expect(submitted.body.id).toMatch(/^job_[0-9A-Z]{26}$/);
    expect(submitted.body.polling_url).toBe(`${platform.publicBaseUrl}/v1/get_result?id=${submitted.body.id}`);

    const result = await platform.api.waitForResult(submitted.body.id);
    expect(result.status).toBe('Ready');
    expect(result.result).toMatchObject({ prompt: 'a lighthouse at dusk', seed: 7 });
    expect(result.result!.end_time).toBeGreaterThanOrEqual(result.result!.start_time);
    expect(result.progress).toBe(1);
    expect(result.details).toMatchObject({ status: 'succeeded', engine: 'preview-cpu/1', width: 1024, height: 1024 });

    const sample = await download(result.result!.sample!);
    expect(sample.status).toBe(200);
    expect(sample.type).toBe('image/png');
    const meta = await sharp(sample.bytes).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 1024, height: 1024 });
  });

  it('an edit keeps the input image ratio and honours output_format', async () => {
    const input = await jpegImage({ width: 1200, height: 800, seed: 3 });
    const result = await platform.api.submitAndWait({ prompt: 'make it night', input_image: input.toString('base64'), output_format: 'jpeg' });
    expect(result.status).toBe('Ready');
    const sample = await download(result.result!.sample!);
    expect(sample.type).toBe('image/jpeg');
    expect(await sharp(sample.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 1248, height: 832 });
  });

  it('aspect_ratio wins over the input image ratio and snaps to a Kontext resolution', async () => {
    const input = await pngImage({ width: 800, height: 800, seed: 4 });
    const result = await platform.api.submitAndWait({ prompt: 'widen', input_image: dataUrl(input), aspect_ratio: '21:9' });
    expect(result.details).toMatchObject({ width: 1568, height: 672 });
    expect(await sharp((await download(result.result!.sample!)).bytes).metadata()).toMatchObject({ width: 1568, height: 672 });
  });

  it('the same seed and inputs give identical bytes; another seed does not', async () => {
    const input = (await pngImage({ width: 640, height: 480, seed: 9 })).toString('base64');
    const request = { prompt: 'add a hat', input_image: input, seed: 1234 };
    const first = await platform.api.submitAndWait(request);
    const second = await platform.api.submitAndWait(request);
    const third = await platform.api.submitAndWait({ ...request, seed: 1235 });
    const [a, b, c] = await Promise.all([first, second, third].map((r) => download(r.result!.sample!)));
    expect(a!.bytes.equals(b!.bytes)).toBe(true);
    expect(a!.bytes.equals(c!.bytes)).toBe(false);
  });

  it('accepts reference images and reports their megapixels', async () => {
    const main = await pngImage({ width: 1024, height: 1024, seed: 1 });
    const reference = await webpLike();
    const submitted = await platform.api.submit({ prompt: 'same character, new scene', input_image: dataUrl(main), input_image_2: dataUrl(reference, 'image/webp') });
    expect(submitted.status).toBe(200);
    expect(submitted.body.input_mp).toBeCloseTo(1.0486 + 0.25, 3);
    expect((await platform.api.waitForResult(submitted.body.id)).status).toBe('Ready');
  });

  it('iterative editing: each output fed back as the next input, five rounds', async () => {
    let image = (await pngImage({ width: 1000, height: 750, seed: 5 })).toString('base64');
    const prompts = ['let her laugh', 'add sunglasses', 'make it night', 'change the background to a beach', 'add snow'];
    const jobIds: string[] = [];
    for (const prompt of prompts) {
      const submitted = await platform.api.submit({ prompt, input_image: image, seed: 42 });
      expect(submitted.status).toBe(200);
      const result = await platform.api.waitForResult(submitted.body.id);
      expect(result.status).toBe('Ready');
      // 1000x750 snaps to 1184x880; every later round keeps that size.
      expect(result.details).toMatchObject({ width: 1184, height: 880 });
      const sample = await download(result.result!.sample!);
      image = sample.bytes.toString('base64');
      jobIds.push(submitted.body.id);
    }
    expect(new Set(jobIds).size).toBe(5);
    // Lineage: each round's context input has the bytes (content hash) of the previous round's output.
    const sql = postgres(platform.database.url, { max: 1 });
    try {
      for (let round = 1; round < jobIds.length; round++) {
        const [edge] = await sql<{ input_hash: string; previous_output_hash: string }[]>`
          SELECT input.content_hash AS input_hash, output.content_hash AS previous_output_hash
          FROM job_inputs ji
          JOIN assets input ON input.id = ji.asset_id
          JOIN jobs previous ON previous.id = ${jobIds[round - 1]!}
          JOIN assets output ON output.id = previous.output_asset_id
          WHERE ji.job_id = ${jobIds[round]!} AND ji.position = 0 AND ji.role = 'context'`;
        expect(edge?.input_hash).toBe(edge?.previous_output_hash);
      }
    } finally {
      await sql.end();
    }
  });
});

async function webpLike(): Promise<Buffer> {
  return sharp({ create: { width: 500, height: 500, channels: 3, background: '#336699' } }).webp().toBuffer();
}
