import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isId, newId } from '@kontext/core';

// The secrets people carry: session cookies and the single-use tokens mailed in links. Each is
// 256 random bits; only its SHA-256 is stored, so a database leak hands out no working credential.

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface SessionCredential {
  id: string;
  secret: string;
  /** What the cookie holds: `<id>.<secret>`. */
  cookieValue: string;
  secretHash: string;
}

export function newSessionCredential(): SessionCredential {
  const id = newId('session');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, cookieValue: `${id}.${secret}`, secretHash: sha256(secret) };
}

/** The id and secret of a cookie value, or undefined when it is not one of ours. */
export function parseSessionCookie(value: string | undefined): { id: string; secret: string } | undefined {
  if (!value || value.length > 200) return undefined;
  const dot = value.indexOf('.');
  if (dot < 0) return undefined;
  const id = value.slice(0, dot);
  const secret = value.slice(dot + 1);
  if (!isId('session', id) || !/^[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
  return { id, secret };
}

/**
 * The session's CSRF token: an HMAC of a fixed label under the session's own secret. Only a
 * holder of the (HttpOnly) cookie's secret can compute it, the server recomputes it from the
 * cookie on every write, and nothing about it is stored or put in a cookie.
 */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('kontext csrf v1').digest('base64url');
}

/** A token for a mailed link: `<prefix>_<43 base64url characters>`, and the hash that is stored. */
export function newLinkToken(prefix: 'inv' | 'pwr' | 'sgn'): { token: string; tokenHash: string } {
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: sha256(token) };
}
