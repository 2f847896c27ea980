import { createHash } from 'node:crypto';
import { sleep } from '@kontext/core';
import sharp, { type OverlayOptions } from 'sharp';
import { EngineCanceled, EngineError, type Engine, type EngineHealth, type EngineOutput, type EngineRequest } from './engine.ts';
import { GLYPH_HEIGHT, pixelTextRects, pixelTextWidth } from './pixel-font.ts';

// The preview engine: CPU, deterministic, no model. It returns exactly the size and format the
// real engine would, composed from the inputs (or a seeded gradient without any), tinted by the
// prompt, with reference images as a strip of thumbnails and a visible PREVIEW label, so that
// integrations can be built and tested without a GPU and nobody mistakes it for model output.

export const PREVIEW_ENGINE_ID = 'preview-cpu/1';

export interface PreviewEngineOptions {
  /** Simulated time per sampling step, to exercise progress, cancel and crash handling realistically. */
  stepDelayMs?: number;
}

export class PreviewEngine implements Engine {
  readonly id = PREVIEW_ENGINE_ID;
  readonly #stepDelayMs: number;

  constructor(options: PreviewEngineOptions = {}) {
    this.#stepDelayMs = options.stepDelayMs ?? 0;
  }

  async start(): Promise<void> {}

  health(): EngineHealth {
    return { state: 'ready' };
  }

  async stop(): Promise<void> {}

  async predict(
    request: EngineRequest,
    options: { signal: AbortSignal; onProgress: (progress: { step: number; totalSteps: number }) => void },
  ): Promise<EngineOutput> {
    for (let step = 1; step <= request.steps; step++) {
      if (options.signal.aborted) throw new EngineCanceled(String(options.signal.reason ?? 'aborted'));
      if (this.#stepDelayMs > 0) await sleep(this.#stepDelayMs, options.signal);
      options.onProgress({ step, totalSteps: request.steps });
    }
    if (options.signal.aborted) throw new EngineCanceled(String(options.signal.reason ?? 'aborted'));
    try {
      const image = await renderPreview(request);
      return { image, format: request.outputFormat, width: request.width, height: request.height };
    } catch (error) {
      throw new EngineError(`preview rendering failed: ${error instanceof Error ? error.message : String(error)}`, false);
    }
  }
}

async function renderPreview(request: EngineRequest): Promise<Uint8Array> {
  const { width, height } = request;
  const random = seededRandom(`${request.seed}\n${request.prompt}`);
  const [context, ...references] = request.images;

  const base = context
    ? await sharp(context.bytes).rotate().resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer()
    : gradient(width, height, random);

  const tint = { r: Math.floor(random() * 256), g: Math.floor(random() * 256), b: Math.floor(random() * 256) };
  const layers: OverlayOptions[] = [
    { input: { create: { width, height, channels: 4, background: { ...tint, alpha: 0.18 } } }, blend: 'over' },
  ];

  // Reference images as a thumbnail strip along the bottom edge.
  const thumbHeight = Math.floor(height / 6);
  let left = Math.floor(width / 40);
  for (const reference of references) {
    const thumb = await sharp(reference.bytes)
      .rotate()
      .resize({ height: thumbHeight, width: Math.floor(width / 4), fit: 'inside' })
      .extend({ top: 3, bottom: 3, left: 3, right: 3, background: '#ffffff' })
      .png()
      .toBuffer({ resolveWithObject: true });
    if (left + thumb.info.width > width) break;
    layers.push({ input: thumb.data, left, top: height - thumb.info.height - Math.floor(height / 40) });
    left += thumb.info.width + Math.floor(width / 60);
  }

  layers.push({ input: Buffer.from(labelSvg(request)), left: 0, top: 0 });

  // Compositing happens last in a sharp pipeline, so the alpha the overlays add is dropped in a second pass.
  const composed = await sharp(base, { raw: { width, height, channels: 3 } })
    .composite(layers)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const flat = sharp(composed.data, { raw: composed.info }).removeAlpha();
  const encoded = request.outputFormat === 'png' ? flat.png({ compressionLevel: 6 }) : flat.jpeg({ quality: 90 });
  return new Uint8Array(await encoded.toBuffer());
}

function labelSvg(request: EngineRequest): string {
  const header = ['PREVIEW ENGINE - NOT A MODEL OUTPUT', `${request.model} SEED ${request.seed} ${request.width}X${request.height}`];
  const longest = Math.max(...header.map((line) => line.length));
  // The prompt, on one line cut to the label's width, so an iterative session shows each edit.
  const prompt = request.prompt.replace(/\s+/g, ' ').trim();
  const promptLine = prompt.length > longest ? `${prompt.slice(0, longest - 3)}...` : prompt;
  const lines = [...header, promptLine];
  const scale = Math.max(1, Math.min(6, Math.floor((request.width * 0.9) / (longest * 6))));
  const padding = scale * 3;
  const lineHeight = (GLYPH_HEIGHT + 3) * scale;
  const bandWidth = Math.min(request.width, Math.max(...lines.map((l) => pixelTextWidth(l, scale))) + padding * 2);
  const bandHeight = lines.length * lineHeight + padding * 2 - 3 * scale;
  const text = lines.map((line, i) => pixelTextRects(line, padding, padding + i * lineHeight, scale)).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${request.width}" height="${request.height}">` +
    `<rect x="0" y="0" width="${bandWidth}" height="${bandHeight}" fill="#000000" fill-opacity="0.72"/>` +
    `<g fill="#ffd400">${text}</g></svg>`
  );
}

function gradient(width: number, height: number, random: () => number): Buffer {
  const from = [random() * 255, random() * 255, random() * 255];
  const to = [random() * 255, random() * 255, random() * 255];
  const pixels = Buffer.alloc(width * height * 3);
  const span = width + height - 2 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x + y) / span;
      const offset = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) pixels[offset + c] = Math.round((from[c] ?? 0) * (1 - t) + (to[c] ?? 0) * t);
    }
  }
  return pixels;
}

/** mulberry32 seeded from a SHA-256 of the seed text: the same request always draws the same numbers. */
function seededRandom(seedText: string): () => number {
  let state = createHash('sha256').update(seedText).digest().readUInt32BE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
