import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { IMAGE_EXTENSIONS, IMAGE_MIME_TYPES, readImageHeader, type ImageFormat } from '../src/index.ts';

// Real encoders (sharp/libvips) for valid images, hand-made bytes for hostile ones.

type Encoding = 'png' | 'png-palette' | 'png-16bit-alpha' | 'jpeg-baseline' | 'jpeg-progressive' | 'jpeg-exif' | 'webp-lossy' | 'webp-lossless' | 'webp-alpha';

const SIZES: readonly [number, number][] = [
  [1, 1],
  [17, 9],
  [9, 17],
  [1023, 767],
  [3000, 2],
  [2, 3000],
];

const FORMAT_OF: Record<Encoding, ImageFormat> = {
  png: 'png',
  'png-palette': 'png',
  'png-16bit-alpha': 'png',
  'jpeg-baseline': 'jpeg',
  'jpeg-progressive': 'jpeg',
  'jpeg-exif': 'jpeg',
  'webp-lossy': 'webp',
  'webp-lossless': 'webp',
  'webp-alpha': 'webp',
};

/** A non-flat test picture, so encoders do real work: a colour gradient plus noise. */
function pixels(width: number, height: number, channels: 3 | 4): Buffer {
  const data = Buffer.alloc(width * height * channels);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const i = (y * width + x) * channels;
      data[i] = (x * 255) / Math.max(1, width - 1);
      data[i + 1] = (y * 255) / Math.max(1, height - 1);
      data[i + 2] = seed & 0xff;
      if (channels === 4) data[i + 3] = (x + y) % 2 === 0 ? 96 : 255; // pixel (0,0) is translucent, so even 1x1 keeps alpha
    }
  }
  return data;
}

async function encode(encoding: Encoding, width: number, height: number): Promise<Buffer> {
  const withAlpha = encoding === 'webp-alpha' || encoding === 'png-16bit-alpha';
  const channels = withAlpha ? 4 : 3;
  const image = sharp(pixels(width, height, channels), { raw: { width, height, channels } });
  switch (encoding) {
    case 'png':
      return image.png().toBuffer();
    case 'png-palette':
      return image.png({ palette: true }).toBuffer();
    case 'png-16bit-alpha':
      return image.toColourspace('rgb16').png().toBuffer();
    case 'jpeg-baseline':
      return image.jpeg({ quality: 80, progressive: false }).toBuffer();
    case 'jpeg-progressive':
      return image.jpeg({ quality: 80, progressive: true }).toBuffer();
    case 'jpeg-exif':
      return image.jpeg({ quality: 80 }).withMetadata({ orientation: 6 }).toBuffer();
    case 'webp-lossy':
      return image.webp({ quality: 70 }).toBuffer();
    case 'webp-lossless':
      return image.webp({ lossless: true }).toBuffer();
    case 'webp-alpha':
      return image.webp({ quality: 70, alphaQuality: 80 }).toBuffer();
  }
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return Buffer.from(bytes.subarray(offset, offset + length)).toString('latin1');
}

/** Offset of the first JPEG marker FF xx, scanning segment by segment from SOI. */
function jpegMarkerOffset(bytes: Uint8Array, marker: number): number {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    const current = bytes[offset + 1];
    if (current === marker) return offset;
    if (current === 0xda) return -1;
    offset += 2 + (((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0));
  }
  return -1;
}

/** Checks that the encoder produced the container variant a test is about, so the test proves what it says. */
function expectVariant(encoding: Encoding, bytes: Uint8Array): void {
  switch (encoding) {
    case 'jpeg-baseline':
      expect(jpegMarkerOffset(bytes, 0xc0)).toBeGreaterThan(0);
      break;
    case 'jpeg-progressive':
      expect(jpegMarkerOffset(bytes, 0xc2)).toBeGreaterThan(0);
      break;
    case 'jpeg-exif':
      expect(jpegMarkerOffset(bytes, 0xe1)).toBeGreaterThan(0);
      break;
    case 'webp-lossy':
      expect(ascii(bytes, 12, 4)).toBe('VP8 ');
      break;
    case 'webp-lossless':
      expect(ascii(bytes, 12, 4)).toBe('VP8L');
      break;
    case 'webp-alpha':
      expect(ascii(bytes, 12, 4)).toBe('VP8X');
      break;
    case 'png-palette':
      expect(bytes[25]).toBe(3); // colour type: indexed
      break;
    case 'png-16bit-alpha':
      expect(bytes[24]).toBe(16); // bit depth
      expect(bytes[25]).toBe(6); // colour type: RGBA
      break;
    case 'png':
      expect(ascii(bytes, 12, 4)).toBe('IHDR');
      break;
  }
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A well-formed, tiny PNG whose IHDR declares width x height (RGB, 8 bit), with a few bytes of IDAT. */
function handMadePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  // One zero-filled scanline's worth of data: far less than the image would need.
  const idat = deflateSync(Buffer.alloc(1 + 3 * 64));
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

const ENCODINGS = Object.keys(FORMAT_OF) as Encoding[];
const MATRIX = ENCODINGS.flatMap((encoding) => SIZES.map(([w, h]) => [encoding, w, h] as const));

describe('readImageHeader on real encoder output', () => {
  it.each(MATRIX)('%s %ix%i: exact format, width and height', async (encoding, width, height) => {
    const bytes = await encode(encoding, width, height);
    expectVariant(encoding, bytes);
    // Cross-check against the decoder's own view of the file.
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height]).toEqual([width, height]);
    expect(readImageHeader(bytes)).toEqual({ format: FORMAT_OF[encoding], width, height });
  });

  it('reads a plain Uint8Array as well as a Buffer', async () => {
    const bytes = await encode('webp-lossless', 17, 9);
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    expect(readImageHeader(copy)).toEqual({ format: 'webp', width: 17, height: 9 });
  });

  it('reads a Uint8Array that is a view into a larger buffer', async () => {
    const bytes = await encode('jpeg-baseline', 17, 9);
    const backing = new Uint8Array(bytes.length + 64);
    backing.set(bytes, 32);
    expect(readImageHeader(backing.subarray(32, 32 + bytes.length))).toEqual({ format: 'jpeg', width: 17, height: 9 });
  });

  it('reads the WebP maximum dimensions (16383x16383 lossless header)', async () => {
    const bytes = await encode('webp-lossless', 16383, 1);
    expect(readImageHeader(bytes)).toEqual({ format: 'webp', width: 16383, height: 1 });
  });

  it('reads a JPEG whose SOF marker is preceded by fill bytes (0xFF padding)', async () => {
    const bytes = await encode('jpeg-baseline', 1023, 767);
    const sof = jpegMarkerOffset(bytes, 0xc0);
    expect(sof).toBeGreaterThan(0);
    const padded = Buffer.concat([bytes.subarray(0, sof), Buffer.from([0xff, 0xff, 0xff]), bytes.subarray(sof)]);
    expect(readImageHeader(padded)).toEqual({ format: 'jpeg', width: 1023, height: 767 });
  });

  it('reads a JPEG with only the bytes up to the end of its SOF segment', async () => {
    const bytes = await encode('jpeg-progressive', 3000, 2);
    const sof = jpegMarkerOffset(bytes, 0xc2);
    expect(readImageHeader(bytes.subarray(0, sof + 9))).toEqual({ format: 'jpeg', width: 3000, height: 2 });
  });
});

describe('readImageHeader on a decompression bomb', () => {
  it('returns the declared 100000x100000 without decoding', () => {
    const bomb = handMadePng(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    expect(readImageHeader(bomb)).toEqual({ format: 'png', width: 100_000, height: 100_000 });
  });

  it('reads the largest PNG dimension (2^31 - 1) as a positive number', () => {
    expect(readImageHeader(handMadePng(2 ** 31 - 1, 3))).toEqual({ format: 'png', width: 2 ** 31 - 1, height: 3 });
  });

  it('agrees with the decoder that the bomb declares those dimensions', async () => {
    const bomb = handMadePng(100_000, 100_000);
    const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
    expect([meta.width, meta.height]).toEqual([100_000, 100_000]);
  });

  it('reads a hand-made VP8X WebP that declares a 16777216x16777216 canvas', () => {
    const bytes = Buffer.alloc(30);
    bytes.write('RIFF', 0, 'latin1');
    bytes.writeUInt32LE(22, 4);
    bytes.write('WEBP', 8, 'latin1');
    bytes.write('VP8X', 12, 'latin1');
    bytes.writeUInt32LE(10, 16);
    bytes.writeUIntLE(0xffffff, 24, 3);
    bytes.writeUIntLE(0xffffff, 27, 3);
    expect(readImageHeader(bytes)).toEqual({ format: 'webp', width: 2 ** 24, height: 2 ** 24 });
  });
});

describe('readImageHeader on things that are not readable images', () => {
  it('returns null for text', () => {
    expect(readImageHeader(Buffer.from('hello, this is not an image at all, just some text'))).toBeNull();
  });

  it('returns null for empty input', () => {
    expect(readImageHeader(new Uint8Array(0))).toBeNull();
  });

  it('returns null for a GIF (not an accepted format)', async () => {
    const gif = await sharp(pixels(17, 9, 3), { raw: { width: 17, height: 9, channels: 3 } }).gif().toBuffer();
    expect(ascii(gif, 0, 6)).toBe('GIF89a');
    expect(readImageHeader(gif)).toBeNull();
    expect(readImageHeader(Buffer.from('GIF89a\x11\x00\x09\x00\x00\x00\x00', 'latin1'))).toBeNull();
  });

  it.each([1, 4, 7, 8])('returns null for a PNG signature truncated to %i bytes', (length) => {
    expect(readImageHeader(PNG_SIGNATURE.subarray(0, length))).toBeNull();
  });

  it.each([12, 16, 20, 23])('returns null for a PNG truncated inside IHDR (%i bytes)', async (length) => {
    const png = await encode('png', 17, 9);
    expect(readImageHeader(png.subarray(0, length))).toBeNull();
  });

  it('returns null for a PNG whose first chunk is not IHDR', () => {
    const png = handMadePng(10, 10);
    const broken = Buffer.from(png);
    broken.write('IDAT', 12, 'latin1');
    expect(readImageHeader(broken)).toBeNull();
  });

  it('returns null for a PNG declaring zero width or height', () => {
    expect(readImageHeader(handMadePng(0, 10))).toBeNull();
    expect(readImageHeader(handMadePng(10, 0))).toBeNull();
  });

  it.each(['jpeg-baseline', 'jpeg-progressive'] as const)('returns null for a %s truncated before its SOF marker', async (encoding) => {
    const jpeg = await encode(encoding, 1023, 767);
    const sof = jpegMarkerOffset(jpeg, encoding === 'jpeg-baseline' ? 0xc0 : 0xc2);
    expect(sof).toBeGreaterThan(2);
    for (const cut of [3, 4, sof - 1, sof, sof + 2, sof + 8]) {
      expect(readImageHeader(jpeg.subarray(0, cut)), `cut at ${cut}`).toBeNull();
    }
  });

  it('returns null for a JPEG whose scan starts before any frame header', () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xda, 0x00, 0x08, 0, 0, 0, 0, 0, 0]);
    expect(readImageHeader(bytes)).toBeNull();
  });

  it('does not mistake a DHT segment (0xC4) for a frame header', () => {
    // SOI, DHT with a body that looks like a 0x0203 x 0x0405 frame, then EOI: no frame at all.
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xc4, 0x00, 0x08, 0x08, 0x02, 0x03, 0x04, 0x05, 0x01, 0xff, 0xd9]);
    expect(readImageHeader(bytes)).toBeNull();
  });

  it('returns null for a JPEG SOI with garbage after it', () => {
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a]))).toBeNull();
  });

  it.each([12, 16, 20, 25, 29])('returns null for a lossy WebP truncated to %i bytes', async (length) => {
    const webp = await encode('webp-lossy', 17, 9);
    expect(readImageHeader(webp.subarray(0, length))).toBeNull();
  });

  it.each([16, 20, 24])('returns null for a lossless WebP truncated to %i bytes', async (length) => {
    const webp = await encode('webp-lossless', 17, 9);
    expect(readImageHeader(webp.subarray(0, length))).toBeNull();
  });

  it.each([16, 24, 29])('returns null for an extended (VP8X) WebP truncated to %i bytes', async (length) => {
    const webp = await encode('webp-alpha', 17, 9);
    expect(readImageHeader(webp.subarray(0, length))).toBeNull();
  });

  it('returns null for a RIFF file that is not WebP (WAVE)', () => {
    const wave = Buffer.alloc(44);
    wave.write('RIFF', 0, 'latin1');
    wave.writeUInt32LE(36, 4);
    wave.write('WAVE', 8, 'latin1');
    wave.write('fmt ', 12, 'latin1');
    expect(readImageHeader(wave)).toBeNull();
  });

  it('returns null for a lossy WebP without the VP8 start code', async () => {
    const webp = Buffer.from(await encode('webp-lossy', 17, 9));
    webp[23] = 0x00;
    expect(readImageHeader(webp)).toBeNull();
  });

  it('returns null for a lossless WebP without the 0x2F signature', async () => {
    const webp = Buffer.from(await encode('webp-lossless', 17, 9));
    webp[20] = 0x00;
    expect(readImageHeader(webp)).toBeNull();
  });

  it('returns null for formats sharp can write but the API does not accept (TIFF, AVIF)', async () => {
    const image = () => sharp(pixels(17, 9, 3), { raw: { width: 17, height: 9, channels: 3 } });
    expect(readImageHeader(await image().tiff().toBuffer())).toBeNull();
    expect(readImageHeader(await image().avif().toBuffer())).toBeNull();
  });
});

describe('image format tables', () => {
  it('give a MIME type and file extension for every accepted format', () => {
    expect(IMAGE_MIME_TYPES).toEqual({ png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' });
    expect(IMAGE_EXTENSIONS).toEqual({ png: 'png', jpeg: 'jpg', webp: 'webp' });
  });
});
