import { base64ToBytes, bytesToBase64 } from './encoding.ts';
import { KontextInputError } from './errors.ts';

// Turns whatever a caller has (a path, bytes, a Blob, a URL, an id) into the string an image field
// takes on the wire. Bytes are checked for a PNG, JPEG or WebP signature first, so a wrong file is
// refused here, in the server's words, before megabytes of base64 travel to be refused there.

export type ImageInput =
  /** `http(s)://…`: the server fetches it; `ast_…` / `job_…`: a stored image; `data:…`: as is; anything else: a file path (Node only). */
  | string
  | URL
  | Blob
  | Uint8Array
  | ArrayBuffer
  | { path: string }
  | { base64: string }
  | { assetId: string }
  | { jobId: string };

export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** The server's own words for bytes that are none of the accepted formats. */
export const NOT_AN_IMAGE = 'is not a PNG, JPEG or WebP image';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
const ID_PATTERN = /^(ast|job)_[0-9A-Za-z]+$/;
const URL_PATTERN = /^https?:\/\//i;

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  return bytes.length >= offset + prefix.length && prefix.every((value, i) => bytes[offset + i] === value);
}

function asciiAt(bytes: Uint8Array, offset: number, text: string): boolean {
  return startsWith(bytes, Array.from(text, (char) => char.charCodeAt(0)), offset);
}

/** The format the magic bytes announce, or undefined. Only the signature: the server decodes the rest. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, JPEG_SIGNATURE)) return 'jpeg';
  if (asciiAt(bytes, 0, 'RIFF') && asciiAt(bytes, 8, 'WEBP')) return 'webp';
  return undefined;
}

/** A refusal of an image field, its detail written as the server writes image refusals (`input_image is not …`). */
function imageRefusal(field: string, message: string, cause?: unknown): KontextInputError {
  return new KontextInputError(message, { field, detail: `${field} ${message}`, ...(cause !== undefined ? { cause } : {}) });
}

function checkedBase64(bytes: Uint8Array, field: string): string {
  if (sniffImageFormat(bytes) === undefined) throw imageRefusal(field, NOT_AN_IMAGE);
  return bytesToBase64(bytes);
}

function isNode(): boolean {
  // `process` is declared by Node's types, but a browser has none: look before touching it.
  const runtime: { process?: { versions?: { node?: unknown } } } = globalThis;
  return typeof runtime.process?.versions?.node === 'string';
}

async function readFileBytes(path: string, field: string): Promise<Uint8Array> {
  if (!isNode()) {
    throw imageRefusal(field, `names a file (${path}), which only Node can read; pass a Blob, bytes, a URL or { base64 }`);
  }
  // Loaded only when a path is given, so the SDK still runs where node:fs does not exist.
  const { readFile } = await import('node:fs/promises');
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
    const hint = code === 'ENOENT' ? ' (no such file; for base64 data pass { base64 })' : ` (${code})`;
    throw imageRefusal(field, `cannot be read from ${path}${hint}`, error);
  }
}

async function fileUrlToPath(url: URL, field: string): Promise<string> {
  if (!isNode()) throw imageRefusal(field, 'is a file: URL, which only Node can read');
  const { fileURLToPath } = await import('node:url');
  return fileURLToPath(url);
}

/** Refuses base64 whose first bytes are not an image; base64 that does not decode is left for the server to explain. */
function checkBase64Prefix(value: string, field: string): void {
  const payload = value.startsWith('data:') ? value.slice(value.indexOf(',') + 1) : value;
  const head = base64ToBytes(payload.replace(/\s+/g, '').slice(0, 32));
  if (head !== undefined && head.length >= 12 && sniffImageFormat(head) === undefined) throw imageRefusal(field, NOT_AN_IMAGE);
}

/** The wire value of an image field (`input_image`, `input_image_2`, …). */
export async function imageToWire(input: ImageInput, field: string): Promise<string> {
  if (typeof input === 'string') {
    if (URL_PATTERN.test(input) || ID_PATTERN.test(input) || input.startsWith('data:')) return input;
    return checkedBase64(await readFileBytes(input, field), field);
  }
  if (input instanceof URL) {
    if (input.protocol === 'http:' || input.protocol === 'https:') return input.href;
    if (input.protocol === 'file:') return checkedBase64(await readFileBytes(await fileUrlToPath(input, field), field), field);
    throw imageRefusal(field, `is a ${input.protocol} URL; only http(s) URLs (or file: URLs in Node) are accepted`);
  }
  if (input instanceof Uint8Array) return checkedBase64(input, field);
  if (input instanceof ArrayBuffer) return checkedBase64(new Uint8Array(input), field);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return checkedBase64(new Uint8Array(await input.arrayBuffer()), field);
  if ('path' in input) return checkedBase64(await readFileBytes(input.path, field), field);
  if ('base64' in input) {
    checkBase64Prefix(input.base64, field);
    return input.base64;
  }
  if ('assetId' in input) return input.assetId;
  if ('jobId' in input) return input.jobId;
  throw imageRefusal(field, 'is not an image input the SDK knows');
}
