import { describe, expect, it } from 'vitest';
import { newId } from '../../core/src/ids.ts';
import { assertValidKey, BlobUrlSigner, inputImageKey, outputImageKey, SIGNED_BLOB_PATH, tenantPrefix } from '../src/index.ts';

const SECRET = 'a-url-signing-secret-of-enough-bytes!';
const BASE = 'https://api.example.test';
const NOW = 1_750_000_000;

interface SignedParts {
  url: URL;
  token: string;
  expires: string;
  signature: string;
}

function signParts(signer: BlobUrlSigner, key: string, expiresAt: number): SignedParts {
  const url = new URL(signer.sign(key, expiresAt));
  const prefix = `${SIGNED_BLOB_PATH}/`;
  expect(url.pathname.startsWith(prefix)).toBe(true);
  return {
    url,
    token: url.pathname.slice(prefix.length),
    expires: url.searchParams.get('expires') ?? '',
    signature: url.searchParams.get('signature') ?? '',
  };
}

function flip(value: string, index: number): string {
  const char = value[index];
  const replacement = char === 'A' ? 'B' : 'A';
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe('BlobUrlSigner', () => {
  const signer = new BlobUrlSigner(SECRET, BASE);

  it('signs a URL that verifies back to its key', () => {
    const key = 'tenants/ten_1/outputs/job_1/1.png';
    const parts = signParts(signer, key, NOW + 60);
    expect(parts.url.origin).toBe(BASE);
    expect(parts.expires).toBe(String(NOW + 60));
    expect(parts.signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signer.verify(parts.token, parts.expires, parts.signature, NOW)).toEqual({ ok: true, key });
  });

  it('verifies against the current clock by default', () => {
    const key = 'tenants/ten_1/x.png';
    const now = Math.floor(Date.now() / 1000);
    const live = signParts(signer, key, now + 60);
    expect(signer.verify(live.token, live.expires, live.signature)).toEqual({ ok: true, key });
    const dead = signParts(signer, key, now - 60);
    expect(signer.verify(dead.token, dead.expires, dead.signature)).toEqual({ ok: false, reason: 'expired' });
  });

  it('strips trailing slashes from the public base URL', () => {
    const slashed = new BlobUrlSigner(SECRET, `${BASE}///`);
    expect(slashed.sign('a.png', NOW)).toBe(signer.sign('a.png', NOW));
    expect(slashed.sign('a.png', NOW).startsWith(`${BASE}${SIGNED_BLOB_PATH}/`)).toBe(true);
  });

  it('is valid through its expiry second and expired after it', () => {
    const parts = signParts(signer, 'a.png', NOW);
    expect(signer.verify(parts.token, parts.expires, parts.signature, NOW - 1)).toMatchObject({ ok: true });
    expect(signer.verify(parts.token, parts.expires, parts.signature, NOW)).toMatchObject({ ok: true });
    expect(signer.verify(parts.token, parts.expires, parts.signature, NOW + 1)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects a tampered token as invalid', () => {
    const parts = signParts(signer, 'tenants/ten_a/outputs/job_1/1.png', NOW + 60);
    expect(signer.verify(flip(parts.token, 5), parts.expires, parts.signature, NOW)).toEqual({ ok: false, reason: 'invalid' });
    // A well-formed token for another key, carrying this URL's signature.
    const other = Buffer.from('tenants/ten_b/outputs/job_1/1.png').toString('base64url');
    expect(signer.verify(other, parts.expires, parts.signature, NOW)).toEqual({ ok: false, reason: 'invalid' });
    for (const token of ['', 'not base64!', 'a/b', 'x'.repeat(701)]) {
      expect(signer.verify(token, parts.expires, parts.signature, NOW)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('rejects a tampered expiry as invalid, not as a longer-lived URL', () => {
    const parts = signParts(signer, 'a.png', NOW + 60);
    expect(signer.verify(parts.token, String(NOW + 3600), parts.signature, NOW)).toEqual({ ok: false, reason: 'invalid' });
    for (const expires of ['', '-1', '1e10', ' 1', 'abc', '1'.repeat(13), `${NOW + 60}.0`]) {
      expect(signer.verify(parts.token, expires, parts.signature, NOW)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('rejects a tampered signature as invalid', () => {
    const parts = signParts(signer, 'a.png', NOW + 60);
    expect(signer.verify(parts.token, parts.expires, flip(parts.signature, 0), NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(signer.verify(parts.token, parts.expires, flip(parts.signature, 42), NOW)).toEqual({ ok: false, reason: 'invalid' });
    for (const signature of ['', parts.signature.slice(0, 42), `${parts.signature}A`, `${parts.signature.slice(0, 42)}=`]) {
      expect(signer.verify(parts.token, parts.expires, signature, NOW)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('reports a forged URL as invalid even when its expiry has passed', () => {
    const parts = signParts(signer, 'a.png', NOW - 60);
    expect(signer.verify(parts.token, parts.expires, flip(parts.signature, 3), NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects a URL signed with another secret', () => {
    const other = new BlobUrlSigner('another-secret-that-is-long-enough!!', BASE);
    const parts = signParts(other, 'a.png', NOW + 60);
    expect(signer.verify(parts.token, parts.expires, parts.signature, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(other.verify(parts.token, parts.expires, parts.signature, NOW)).toMatchObject({ ok: true });
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => new BlobUrlSigner('', BASE)).toThrow(/32 bytes/);
    expect(() => new BlobUrlSigner('x'.repeat(31), BASE)).toThrow(/32 bytes/);
    expect(() => new BlobUrlSigner('x'.repeat(32), BASE)).not.toThrow();
    // Bytes, not characters: 16 two-byte characters are enough, 15 are not.
    expect(() => new BlobUrlSigner('é'.repeat(16), BASE)).not.toThrow();
    expect(() => new BlobUrlSigner('é'.repeat(15), BASE)).toThrow(/32 bytes/);
  });

  it('round-trips keys with slashes, unicode and the longest valid storage key', () => {
    const longest = `tenants/${'a'.repeat(200)}/${'b'.repeat(299)}.png`;
    expect(longest).toHaveLength(512);
    for (const key of ['tenants/ten_1/inputs/x.png', 'a/b/c/d/e/f.webp', 'tenants/ünïcødé/🖼️ image.png', '??&=#%/+', longest]) {
      const parts = signParts(signer, key, NOW + 60);
      expect(signer.verify(parts.token, parts.expires, parts.signature, NOW)).toEqual({ ok: true, key });
    }
  });
});

describe('tenant keys', () => {
  const tenantId = newId('tenant');
  const jobId = newId('job');
  const hash = 'ab'.repeat(32);

  it('puts every tenant under its own prefix', () => {
    expect(tenantPrefix(tenantId)).toBe(`tenants/${tenantId}/`);
    expect(tenantPrefix('ten_a')).not.toBe(tenantPrefix('ten_ab'));
    expect(tenantPrefix('ten_ab').startsWith(tenantPrefix('ten_a'))).toBe(false);
  });

  it('keys inputs by content hash and format', () => {
    expect(inputImageKey(tenantId, hash, 'png')).toBe(`tenants/${tenantId}/inputs/${hash}.png`);
    expect(inputImageKey(tenantId, hash, 'jpeg')).toBe(`tenants/${tenantId}/inputs/${hash}.jpg`);
    expect(inputImageKey(tenantId, hash, 'webp')).toBe(`tenants/${tenantId}/inputs/${hash}.webp`);
  });

  it('keys outputs by job and attempt', () => {
    expect(outputImageKey(tenantId, jobId, 1, 'png')).toBe(`tenants/${tenantId}/outputs/${jobId}/1.png`);
    expect(outputImageKey(tenantId, jobId, 2, 'jpeg')).toBe(`tenants/${tenantId}/outputs/${jobId}/2.jpg`);
    expect(outputImageKey(tenantId, jobId, 1, 'png')).not.toBe(outputImageKey(tenantId, jobId, 2, 'png'));
  });

  it('produces valid storage keys under the tenant prefix', () => {
    const keys = [
      inputImageKey(tenantId, hash, 'png'),
      inputImageKey(tenantId, hash, 'jpeg'),
      outputImageKey(tenantId, jobId, 3, 'jpeg'),
      outputImageKey(tenantId, jobId, 1, 'webp'),
    ];
    for (const key of keys) {
      expect(() => assertValidKey(key)).not.toThrow();
      expect(key.startsWith(tenantPrefix(tenantId))).toBe(true);
      expect(key.startsWith(tenantPrefix(newId('tenant')))).toBe(false);
    }
  });
});
