import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegImage, pngImage, webpImage } from '../../../test/harness/images.ts';
import { KontextInputError } from '../src/errors.ts';
import { imageToWire, NOT_AN_IMAGE, sniffImageFormat } from '../src/images.ts';
import { referenceFields } from '../src/submit.ts';

// ImageInput -> the wire's string: what is sent as is, what is read and encoded, and what is
// refused before any request (with the server's words for it).

let directory: string;
let png: Buffer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'kontext-sdk-images-'));
  png = await pngImage({ width: 8, height: 8 });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<KontextInputError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KontextInputError);
  return error as KontextInputError;
}

describe('sniffing', () => {
  it('knows PNG, JPEG and WebP by their signatures', async () => {
    expect(sniffImageFormat(png)).toBe('png');
    expect(sniffImageFormat(await jpegImage({ width: 8, height: 8 }))).toBe('jpeg');
    expect(sniffImageFormat(await webpImage({ width: 8, height: 8 }))).toBe('webp');
  });

  it('knows nothing else', () => {
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a........'))).toBeUndefined();
    expect(sniffImageFormat(new Uint8Array([0x89, 0x50]))).toBeUndefined();
    expect(sniffImageFormat(new Uint8Array())).toBeUndefined();
  });
});

describe('imageToWire', () => {
  it('passes URLs, ids and data: URLs through untouched', async () => {
    for (const value of ['https://example.com/a.png', 'http://example.com/b', 'ast_01ABC', 'job_01JD3M5X0000000000000000', 'data:image/png;base64,AAAA']) {
      expect(await imageToWire(value, 'input_image')).toBe(value);
    }
    expect(await imageToWire(new URL('https://example.com/c.png'), 'input_image')).toBe('https://example.com/c.png');
    expect(await imageToWire({ assetId: 'ast_1' }, 'input_image')).toBe('ast_1');
    expect(await imageToWire({ jobId: 'job_2' }, 'input_image_2')).toBe('job_2');
  });

  it('encodes bytes, however they come, as base64', async () => {
    const expected = png.toString('base64');
    const path = join(directory, 'in.png');
    await writeFile(path, png);
    const arrayBuffer = png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength) as ArrayBuffer;
    const inputs = [new Uint8Array(png), arrayBuffer, new Blob([new Uint8Array(png)]), path, { path }, pathToFileURL(path)];
    for (const input of inputs) expect(await imageToWire(input, 'input_image')).toBe(expected);
    expect(await imageToWire({ base64: expected }, 'input_image')).toBe(expected);
  });

  it('refuses bytes that are no image, in the server\'s words, naming the field', async () => {
    const text = new TextEncoder().encode('these bytes are plain text, not a picture');
    const path = join(directory, 'notes.png');
    await writeFile(path, text);
    for (const [input, field] of [
      [text, 'input_image'],
      [{ path }, 'input_image_3'],
      [new Blob([text]), 'input_image_2'],
      [{ base64: btoa('these bytes are plain text, not a picture') }, 'input_image'],
    ] as const) {
      const error = await refusal(imageToWire(input, field));
      expect(error.field).toBe(field);
      expect(error.message).toBe(NOT_AN_IMAGE);
      expect(error.detail).toBe(`${field} ${NOT_AN_IMAGE}`);
    }
  });

  it('says so when a path names no file, and hints at { base64 }', async () => {
    const error = await refusal(imageToWire(join(directory, 'missing.png'), 'input_image'));
    expect(error.field).toBe('input_image');
    expect(error.message).toMatch(/no such file.*base64/);
  });

  it('refuses URLs of other schemes', async () => {
    expect((await refusal(imageToWire(new URL('ftp://example.com/a.png'), 'input_image'))).message).toMatch(/ftp:/);
  });
});

describe('references', () => {
  it('fill input_image_2..4 in order; null drops an inherited one, a hole keeps it', async () => {
    const body = await referenceFields(['ast_a', null, { jobId: 'job_c' }]);
    expect(body).toEqual({ input_image_2: 'ast_a', input_image_3: null, input_image_4: 'job_c' });
    expect(await referenceFields([, 'ast_b'])).toEqual({ input_image_3: 'ast_b' });
  });

  it('are at most three', async () => {
    const error = await refusal(referenceFields(['ast_1', 'ast_2', 'ast_3', 'ast_4']));
    expect(error.field).toBe('references');
  });
});
