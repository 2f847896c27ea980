import { PREFERRED_KONTEXT_RESOLUTIONS } from '@kontext/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EngineCanceled, PreviewEngine, type EngineRequest } from '../src/index.ts';

function request(overrides: Partial<EngineRequest> = {}): EngineRequest {
  return {
    jobId: 'job_01M8DFD8DANDT28ZT034WVYBX4',
    model: 'flux-kontext-dev',
    prompt: 'a red bicycle',
    images: [],
    seed: 1,
    width: 1024,
    height: 1024,
    steps: 4,
    guidance: 2.5,
    outputFormat: 'png',
    stepCache: false,
    ...overrides,
  };
}

const noCancel = () => new AbortController().signal;

/** Channel statistics of one region (sharp's stats() alone would read the whole image). */
async function regionStats(image: Uint8Array, region: { left: number; top: number; width: number; height: number }) {
  return sharp(await sharp(image).extract(region).png().toBuffer()).stats();
}

describe('the preview engine', () => {
  it.each(PREFERRED_KONTEXT_RESOLUTIONS.filter((_, i) => i % 4 === 0).map(([w, h]) => [w, h]))(
    'returns exactly %ix%i, the size the real engine would',
    async (width, height) => {
      const output = await new PreviewEngine().predict(request({ width, height }), { signal: noCancel(), onProgress: () => {} });
      expect(await sharp(output.image).metadata()).toMatchObject({ width, height, format: 'png', channels: 3 });
      expect(output).toMatchObject({ width, height, format: 'png' });
    },
  );

  it('honours jpeg output', async () => {
    const output = await new PreviewEngine().predict(request({ outputFormat: 'jpeg', width: 1248, height: 832 }), { signal: noCancel(), onProgress: () => {} });
    expect(await sharp(output.image).metadata()).toMatchObject({ format: 'jpeg', width: 1248, height: 832 });
  });

  it('is deterministic, and the seed, prompt and inputs all change the result', async () => {
    const engine = new PreviewEngine();
    const run = async (r: EngineRequest) => Buffer.from((await engine.predict(r, { signal: noCancel(), onProgress: () => {} })).image);
    const input = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#205080' } }).png().toBuffer();
    const base = request({ images: [{ bytes: input, format: 'png', role: 'context' }] });
    const a = await run(base);
    expect((await run(base)).equals(a)).toBe(true);
    expect((await run({ ...base, seed: 2 })).equals(a)).toBe(false);
    expect((await run({ ...base, prompt: 'a blue bicycle' })).equals(a)).toBe(false);
    expect((await run({ ...base, images: [] })).equals(a)).toBe(false);
  });

  it('stamps a visible label: the top-left band is dark with bright text, unlike the rest', async () => {
    const output = await new PreviewEngine().predict(request(), { signal: noCancel(), onProgress: () => {} });
    const band = await regionStats(output.image, { left: 0, top: 0, width: 400, height: 60 });
    const body = await regionStats(output.image, { left: 0, top: 600, width: 400, height: 60 });
    // The label band has both near-black background and bright yellow glyphs: a wide spread.
    expect(band.channels[0]!.max - band.channels[0]!.min).toBeGreaterThan(150);
    expect(body.channels[0]!.max - body.channels[0]!.min).toBeLessThan(60);
  });

  it('reports every step, in order', async () => {
    const steps: number[] = [];
    await new PreviewEngine().predict(request({ steps: 7 }), { signal: noCancel(), onProgress: (p) => steps.push(p.step / p.totalSteps) });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7].map((s) => s / 7));
  });

  it('stops between steps when canceled', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const prediction = new PreviewEngine({ stepDelayMs: 20 }).predict(request({ steps: 50 }), {
      signal: controller.signal,
      onProgress: ({ step }) => {
        steps.push(step);
        if (step === 3) controller.abort('user canceled');
      },
    });
    await expect(prediction).rejects.toBeInstanceOf(EngineCanceled);
    expect(steps.length).toBeLessThanOrEqual(4);
  });

  it('places reference images as thumbnails along the bottom', async () => {
    const red = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const grey = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: '#808080' } }).png().toBuffer();
    const output = await new PreviewEngine().predict(
      request({ images: [{ bytes: grey, format: 'png', role: 'context' }, { bytes: red, format: 'png', role: 'reference' }] }),
      { signal: noCancel(), onProgress: () => {} },
    );
    const thumb = await regionStats(output.image, { left: 60, top: 900, width: 40, height: 40 });
    expect(thumb.channels[0]!.mean).toBeGreaterThan(200);
    expect(thumb.channels[1]!.mean).toBeLessThan(80);
  });
});
