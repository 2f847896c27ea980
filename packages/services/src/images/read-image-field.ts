import type { FetchUrlInput } from './fetch-url-input.ts';
import { UrlInputError } from './fetch-url-input.ts';
import { formatBytes } from './format-bytes.ts';

// An image field is base64 (optionally a data: URL) or an http(s) URL. This turns it into bytes,
// bounded: base64 longer than the size limit is refused before decoding.

export type ImageFieldRead = { ok: true; bytes: Uint8Array; source: 'base64' | 'url' } | { ok: false; message: string };

const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;
const DATA_URL_PATTERN = /^data:(image\/[a-z0-9.+-]+)?(;[a-z0-9-]+=[^;,]*)*;base64,/i;

export async function readImageField(
  value: string,
  options: { maxBytes: number; fetchUrl: FetchUrlInput },
): Promise<ImageFieldRead> {
  if (/^https?:\/\//i.test(value)) {
    try {
      return { ok: true, bytes: await options.fetchUrl(value, { maxBytes: options.maxBytes }), source: 'url' };
    } catch (error) {
      if (error instanceof UrlInputError) return { ok: false, message: error.message };
      throw error;
    }
  }
  let base64 = value;
  if (value.startsWith('data:')) {
    const prefix = DATA_URL_PATTERN.exec(value);
    if (!prefix) return { ok: false, message: 'is a data: URL but not a base64 image (expected data:image/...;base64,...)' };
    base64 = value.slice(prefix[0].length);
  }
  base64 = base64.replace(/\s+/g, '');
  if (base64.length === 0 || !BASE64_PATTERN.test(base64)) {
    return { ok: false, message: 'must be base64 image data (optionally a data: URL) or an http(s) URL' };
  }
  const decodedSize = Math.floor((base64.length * 3) / 4);
  if (decodedSize > options.maxBytes + 2) {
    return {
      ok: false,
      message: `is ${formatBytes(decodedSize)}; the limit is ${formatBytes(options.maxBytes)}`,
    };
  }
  const encoding = /[-_]/.test(base64) ? 'base64url' : 'base64';
  return { ok: true, bytes: new Uint8Array(Buffer.from(base64, encoding)), source: 'base64' };
}
