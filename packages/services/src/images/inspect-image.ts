import { createHash } from 'node:crypto';
import { readImageHeader, type ImageFormat } from '@kontext/core';
import { loadSharp } from './load-sharp.ts';
import { formatBytes } from './format-bytes.ts';

// Validates an input image in order of cost: byte size, then the header's declared dimensions
// (so a decompression bomb is refused before any decoder allocates), then a full streaming decode
// under a pixel limit (so a file that only looks like an image is refused too).

export interface InspectedImage {
  bytes: Uint8Array;
  format: ImageFormat;
  /** Display size, after EXIF orientation: what the model sees. */
  width: number;
  height: number;
  byteSize: number;
  contentHash: string;
}

export interface ImageLimits {
  maxBytes: number;
  maxPixels: number;
}

export type ImageRejection = { ok: false; message: string };
export type ImageInspection = ({ ok: true } & InspectedImage) | ImageRejection;

export async function inspectImage(bytes: Uint8Array, limits: ImageLimits): Promise<ImageInspection> {
  if (bytes.byteLength > limits.maxBytes) {
    return { ok: false, message: `is ${formatBytes(bytes.byteLength)}; the limit is ${formatBytes(limits.maxBytes)}` };
  }
  const header = readImageHeader(bytes);
  if (!header) return { ok: false, message: 'is not a PNG, JPEG or WebP image' };
  const pixels = header.width * header.height;
  if (pixels > limits.maxPixels) {
    return {
      ok: false,
      message: `declares ${header.width}x${header.height} pixels (${(pixels / 1e6).toFixed(1)} MP); the limit is ${(limits.maxPixels / 1e6).toFixed(0)} MP`,
    };
  }
  let orientation: number | undefined;
  // Outside the try: a missing native module is a server fault, not a bad image.
  const sharp = await loadSharp();
  try {
    const image = sharp(bytes, { limitInputPixels: limits.maxPixels, sequentialRead: true, failOn: 'error' });
    const metadata = await image.metadata();
    if (metadata.width !== header.width || metadata.height !== header.height) {
      return { ok: false, message: 'has a header that does not match its image data' };
    }
    orientation = metadata.orientation;
    // Decodes every pixel without keeping them: a truncated or corrupt file fails here.
    await image.stats();
  } catch {
    return { ok: false, message: `could not be decoded as ${header.format.toUpperCase()}` };
  }
  const rotated = orientation !== undefined && orientation >= 5 && orientation <= 8;
  return {
    ok: true,
    bytes,
    format: header.format,
    width: rotated ? header.height : header.width,
    height: rotated ? header.width : header.height,
    byteSize: bytes.byteLength,
    contentHash: createHash('sha256').update(bytes).digest('hex'),
  };
}
