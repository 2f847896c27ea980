// API key format: `kx_<mode>_<32 random base62 chars><6 base62 chars of CRC-32>`.
// 32 base62 characters carry about 190 bits of randomness; the checksum lets the API refuse a
// mistyped or truncated key without a database lookup; the mode prefix tells live from test keys
// at a glance (and to secret scanners). Only a SHA-256 of the whole key is ever stored.

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

export const API_KEY_MODES = ['live', 'test'] as const;
export type ApiKeyMode = (typeof API_KEY_MODES)[number];

const KEY_PATTERN = new RegExp(`^kx_(live|test)_([0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}})$`);

/** Characters of the key kept in clear for display (`kx_live_AbCd…`). */
export const API_KEY_DISPLAY_PREFIX_LENGTH = 12;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function checksumOf(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

function randomBase62(length: number): string {
  let out = '';
  const buffer = new Uint8Array(length * 2);
  while (out.length < length) {
    globalThis.crypto.getRandomValues(buffer);
    for (const byte of buffer) {
      // Rejection sampling: 248 = 62 * 4, so values below it map uniformly.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function generateApiKey(mode: ApiKeyMode): string {
  const body = `kx_${mode}_${randomBase62(RANDOM_LENGTH)}`;
  return body + checksumOf(body);
}

export type ApiKeyParse = { ok: true; mode: ApiKeyMode } | { ok: false };

/** Checks shape and checksum only; whether the key exists is the database's business. */
export function parseApiKey(key: string): ApiKeyParse {
  const match = KEY_PATTERN.exec(key);
  if (!match) return { ok: false };
  const body = key.slice(0, key.length - CHECKSUM_LENGTH);
  if (checksumOf(body) !== key.slice(-CHECKSUM_LENGTH)) return { ok: false };
  return { ok: true, mode: match[1] as ApiKeyMode };
}

export function apiKeyDisplayPrefix(key: string): string {
  return key.slice(0, API_KEY_DISPLAY_PREFIX_LENGTH);
}
