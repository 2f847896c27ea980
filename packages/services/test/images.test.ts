import { describe, expect, it } from 'vitest';
import { decompressionBombPng, jpegImage, pngImage, webpImage } from '../../../test/harness/images.ts';
import { inspectImage } from '../src/images/inspect-image.ts';
import { readImageField } from '../src/images/read-image-field.ts';
import { UrlInputError } from '../src/images/fetch-url-input.ts';

const limits = { maxBytes: 20 * 1024 * 1024, maxPixels: 20_000_000 };
const noFetch = async (): Promise<Uint8Array> => {
  throw new Error('no URL expected');
};

describe('inspectImage', () => {
  it.each([
    ['png', pngImage],
    ['jpeg', jpegImage],
    ['webp', webpImage],
  ] as const)('accepts %s with its dimensions and a content hash', async (format, make) => {
    const bytes = await make({ width: 333, height: 222 });
    const result = await inspectImage(bytes, limits);
    expect(result).toMatchObject({ ok: true, format, width: 333, height: 222, byteSize: bytes.length });
    if (result.ok) expect(result.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports the displayed size of a rotated phone photo (EXIF orientation 6)', async () => {
    const bytes = await jpegImage({ width: 400, height: 300, orientation: 6 });
    expect(await inspectImage(bytes, limits)).toMatchObject({ ok: true, width: 300, height: 400 });
  });

  it('refuses by size before reading the header', async () => {
    const result = await inspectImage(new Uint8Array(1024 + 1), { maxBytes: 1024, maxPixels: 1e6 });
    expect(result).toEqual({ ok: false, message: 'is 1.0 KB; the limit is 1 KB' });
    expect(await inspectImage(new Uint8Array(1300), { maxBytes: 1024, maxPixels: 1e6 })).toEqual({ ok: false, message: 'is 1.3 KB; the limit is 1 KB' });
  });

  it('refuses a declared size over the pixel limit without decoding', async () => {
    const started = performance.now();
    const result = await inspectImage(decompressionBombPng(100_000, 100_000), limits);
    expect(result).toEqual({ ok: false, message: 'declares 100000x100000 pixels (10000.0 MP); the limit is 20 MP' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a PNG whose data is cut short', async () => {
    const png = await pngImage({ width: 500, height: 500 });
    const result = await inspectImage(png.subarray(0, png.length - 200), limits);
    expect(result).toEqual({ ok: false, message: 'could not be decoded as PNG' });
  });
});

describe('readImageField', () => {
  const bytes = Buffer.from('hello image bytes');

  it.each([
    ['plain base64', bytes.toString('base64')],
    ['base64 with line breaks', bytes.toString('base64').replace(/(.{4})/g, '$1\n')],
    ['base64url', bytes.toString('base64url')],
    ['a data URL', `data:image/png;base64,${bytes.toString('base64')}`],
    ['a data URL with parameters', `data:image/jpeg;name=x.jpg;base64,${bytes.toString('base64')}`],
  ])('decodes %s', async (_label, value) => {
    const read = await readImageField(value, { maxBytes: 1024, fetchUrl: noFetch });
    expect(read).toEqual({ ok: true, bytes: new Uint8Array(bytes), source: 'base64' });
  });

  it.each([
    ['a non-base64 data URL', 'data:image/png,rawbytes'],
    ['a file URL', 'file:///etc/passwd'],
    ['an ftp URL', 'ftp://example.com/a.png'],
    ['text with spaces and punctuation', 'hello world!'],
  ])('refuses %s', async (_label, value) => {
    const read = await readImageField(value, { maxBytes: 1024, fetchUrl: noFetch });
    expect(read.ok).toBe(false);
  });

  it('sends http(s) URLs to the fetcher and reports its refusal', async () => {
    const refused = await readImageField('https://example.com/x.png', {
      maxBytes: 1024,
      fetchUrl: async () => {
        throw new UrlInputError('could not fetch the URL: blocked');
      },
    });
    expect(refused).toEqual({ ok: false, message: 'could not fetch the URL: blocked' });
    const fetched = await readImageField('http://example.com/x.png', { maxBytes: 1024, fetchUrl: async () => new Uint8Array([1, 2]) });
    expect(fetched).toEqual({ ok: true, bytes: new Uint8Array([1, 2]), source: 'url' });
  });

  it('refuses base64 longer than the limit allows before decoding it', async () => {
    const read = await readImageField('A'.repeat(4 * 1024), { maxBytes: 1024, fetchUrl: noFetch });
    expect(read.ok).toBe(false);
  });
});
