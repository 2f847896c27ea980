import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

// Test images built in code: real encoders for valid inputs, hand-made bytes for hostile ones.

export interface ImageSpec {
  width: number;
  height: number;
  /** Varies the colours so different specs give different bytes. */
  seed?: number;
}

function colour(seed: number) {
  return { r: (seed * 67) % 256, g: (seed * 131 + 40) % 256, b: (seed * 199 + 90) % 256 };
}

async function base(spec: ImageSpec) {
  const seed = spec.seed ?? 1;
  // A stripe keeps the image from being a flat colour (and exercises the encoders a little).
  const stripe = await sharp({ create: { width: Math.max(1, Math.floor(spec.width / 4)), height: spec.height, channels: 3, background: colour(seed + 7) } })
    .png()
    .toBuffer();
  return sharp({ create: { width: spec.width, height: spec.height, channels: 3, background: colour(seed) } }).composite([
    { input: stripe, left: 0, top: 0 },
  ]);
}

export async function pngImage(spec: ImageSpec): Promise<Buffer> {
  return (await base(spec)).png().toBuffer();
}

export async function jpegImage(spec: ImageSpec & { orientation?: number }): Promise<Buffer> {
  const image = (await base(spec)).jpeg({ quality: 85 });
  return spec.orientation ? image.withMetadata({ orientation: spec.orientation }).toBuffer() : image.toBuffer();
}

export async function webpImage(spec: ImageSpec): Promise<Buffer> {
  return (await base(spec)).webp({ quality: 80 }).toBuffer();
}

export function dataUrl(bytes: Buffer, mime = 'image/png'): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

/** A tiny, well-formed PNG whose header declares `width` x `height` pixels: a decompression bomb. */
export function decompressionBombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
