import { createHmac, timingSafeEqual } from 'node:crypto';

// Signed URLs for blobs served by the API itself (filesystem storage). The URL carries the key
// (base64url), an expiry (unix seconds) and an HMAC-SHA256 over both; verification is constant-time.

export const SIGNED_BLOB_PATH = '/v1/blobs';

export type SignedUrlCheck = { ok: true; key: string } | { ok: false; reason: 'expired' | 'invalid' };

export class BlobUrlSigner {
  readonly #secret: Buffer;
  readonly #baseUrl: string;

  constructor(secret: string, publicBaseUrl: string) {
    if (Buffer.byteLength(secret) < 32) throw new Error('the URL signing secret must be at least 32 bytes');
    this.#secret = Buffer.from(secret);
    this.#baseUrl = publicBaseUrl.replace(/\/+$/, '');
  }

  sign(key: string, expiresAtSeconds: number): string {
    const token = Buffer.from(key).toString('base64url');
    const signature = this.#mac(token, expiresAtSeconds);
    return `${this.#baseUrl}${SIGNED_BLOB_PATH}/${token}?expires=${expiresAtSeconds}&signature=${signature}`;
  }

  verify(token: string, expires: string, signature: string, nowSeconds = Math.floor(Date.now() / 1000)): SignedUrlCheck {
    if (!/^[A-Za-z0-9_-]{1,700}$/.test(token) || !/^[0-9]{1,12}$/.test(expires) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) {
      return { ok: false, reason: 'invalid' };
    }
    const expected = Buffer.from(this.#mac(token, Number(expires)));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
    // Checked after the signature so an attacker learns nothing from the expiry of a forged URL.
    if (Number(expires) < nowSeconds) return { ok: false, reason: 'expired' };
    return { ok: true, key: Buffer.from(token, 'base64url').toString() };
  }

  #mac(token: string, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${token}\n${expires}`).digest('base64url');
  }
}
