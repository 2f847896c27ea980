import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_DISPLAY_PREFIX_LENGTH,
  API_KEY_MODES,
  apiKeyDisplayPrefix,
  crc32,
  generateApiKey,
  parseApiKey,
  type ApiKeyMode,
} from '../src/index.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_SHAPE = /^kx_(live|test)_[0-9A-Za-z]{38}$/;

/** The key with the character at `index` replaced by `char`. */
function withCharAt(key: string, index: number, char: string): string {
  return key.slice(0, index) + char + key.slice(index + 1);
}

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it.each([
    ['', 0],
    ['a', 0xe8b7be43],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('crc32(%j) is the known value', (text, expected) => {
    expect(crc32(text)).toBe(expected);
  });

  it('agrees with zlib for random ASCII strings', () => {
    for (let i = 0; i < 200; i++) {
      const text = generateApiKey('live').slice(0, 1 + (i % 46));
      expect(crc32(text), text).toBe(zlibCrc32(Buffer.from(text, 'latin1')) >>> 0);
    }
  });

  it('always returns an unsigned 32-bit integer', () => {
    for (const text of ['\u00ff', 'kx_live_', 'zzzzzzzzzzzzzzzz', '\u0000\u0000']) {
      const value = crc32(text);
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(0xffffffff);
    }
  });
});

describe('generateApiKey', () => {
  it.each(API_KEY_MODES)('a %s key is kx_<mode>_ followed by 38 base62 characters (46 in all)', (mode) => {
    const key = generateApiKey(mode);
    expect(key).toMatch(KEY_SHAPE);
    expect(key.startsWith(`kx_${mode}_`)).toBe(true);
    expect(key).toHaveLength(46);
  });

  it.each(API_KEY_MODES)('a generated %s key parses, with its mode', (mode) => {
    for (let i = 0; i < 100; i++) {
      expect(parseApiKey(generateApiKey(mode))).toEqual({ ok: true, mode });
    }
  });

  it('generates unique keys (10000 of them)', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => generateApiKey(i % 2 === 0 ? 'live' : 'test'));
    expect(new Set(keys).size).toBe(keys.length);
    // Not only the whole key: the random part alone never repeats either.
    expect(new Set(keys.map((k) => k.slice(8, 40))).size).toBe(keys.length);
  });

  it('uses the whole base62 alphabet, roughly evenly, in the random part', () => {
    const counts = new Map<string, number>();
    const keys = 2000;
    for (let i = 0; i < keys; i++) {
      for (const char of generateApiKey('live').slice(8, 40)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([...BASE62].sort());
    const mean = (keys * 32) / 62;
    for (const [char, count] of counts) {
      expect(count, char).toBeGreaterThan(mean * 0.8);
      expect(count, char).toBeLessThan(mean * 1.2);
    }
  });
});

describe('parseApiKey', () => {
  it('refuses every single-character change anywhere after the prefix', () => {
    const key = generateApiKey('live');
    for (let index = 8; index < key.length; index++) {
      for (const char of BASE62) {
        if (char === key[index]) continue;
        const changed = withCharAt(key, index, char);
        expect(parseApiKey(changed), `${index}: ${changed}`).toEqual({ ok: false });
      }
    }
  });

  it('refuses a live key relabelled as a test key (and the reverse)', () => {
    const live = generateApiKey('live');
    const test = generateApiKey('test');
    expect(parseApiKey(live.replace('kx_live_', 'kx_test_'))).toEqual({ ok: false });
    expect(parseApiKey(test.replace('kx_test_', 'kx_live_'))).toEqual({ ok: false });
  });

  it('refuses every truncation of a key', () => {
    const key = generateApiKey('test');
    for (let length = 0; length < key.length; length++) {
      expect(parseApiKey(key.slice(0, length)), String(length)).toEqual({ ok: false });
    }
  });

  it('refuses a key with an extra character, or surrounding whitespace', () => {
    const key = generateApiKey('live');
    expect(parseApiKey(`${key}A`)).toEqual({ ok: false });
    expect(parseApiKey(`A${key}`)).toEqual({ ok: false });
    expect(parseApiKey(` ${key}`)).toEqual({ ok: false });
    expect(parseApiKey(`${key}\n`)).toEqual({ ok: false });
  });

  it('refuses two adjacent characters swapped', () => {
    const key = generateApiKey('live');
    for (let index = 8; index + 1 < key.length; index++) {
      const a = key[index] ?? '';
      const b = key[index + 1] ?? '';
      if (a === b) continue;
      const swapped = key.slice(0, index) + b + a + key.slice(index + 2);
      expect(parseApiKey(swapped), String(index)).toEqual({ ok: false });
    }
  });

  it.each(['', 'kx_live_', 'kx_prod_' + 'A'.repeat(38), 'KX_LIVE_' + 'A'.repeat(38), 'kx_live_' + '-'.repeat(38), 'sk-' + 'a'.repeat(48)])(
    'refuses the malformed key %j',
    (key) => {
      expect(parseApiKey(key)).toEqual({ ok: false });
    },
  );

  it('refuses a right-shaped key with a wrong checksum', () => {
    const key = generateApiKey('live');
    const body = key.slice(0, 40);
    const wrong = body + (key.endsWith('000000') ? '000001' : '000000');
    expect(wrong).toMatch(KEY_SHAPE);
    expect(parseApiKey(wrong)).toEqual({ ok: false });
  });
});

describe('apiKeyDisplayPrefix', () => {
  it.each(API_KEY_MODES)('keeps the first 12 characters of a %s key: the mode and four random characters', (mode: ApiKeyMode) => {
    const key = generateApiKey(mode);
    const prefix = apiKeyDisplayPrefix(key);
    expect(API_KEY_DISPLAY_PREFIX_LENGTH).toBe(12);
    expect(prefix).toBe(key.slice(0, 12));
    expect(prefix).toMatch(new RegExp(`^kx_${mode}_[0-9A-Za-z]{4}$`));
  });

  it('is not itself a usable key', () => {
    expect(parseApiKey(apiKeyDisplayPrefix(generateApiKey('live')))).toEqual({ ok: false });
  });
});
