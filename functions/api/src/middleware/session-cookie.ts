import { ProblemError } from '@kontext/core';
import type { ServiceContext, StartedSession } from '@kontext/services';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ApiEnv } from '../env.ts';

// The console's session cookie. Over HTTPS it is `__Host-kontext_session` (Secure, host-only,
// Path=/), which a sibling subdomain cannot overwrite. On plain-HTTP localhost, where browsers
// drop Secure cookies, it is `kontext_session` without Secure. Elsewhere over plain HTTP sessions
// are refused unless the operator opted into insecure cookies. Always HttpOnly and SameSite=Lax.

export const SECURE_COOKIE_NAME = '__Host-kontext_session';
export const LOCAL_COOKIE_NAME = 'kontext_session';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

interface CookiePolicy {
  name: string;
  secure: boolean;
}

export function cookiePolicyOf(ctx: ServiceContext): CookiePolicy | { refused: string } {
  const base = new URL(ctx.settings.publicBaseUrl ?? 'http://localhost');
  if (base.protocol === 'https:') return { name: SECURE_COOKIE_NAME, secure: true };
  if (LOOPBACK_HOSTS.has(base.hostname) || base.hostname.endsWith('.localhost')) return { name: LOCAL_COOKIE_NAME, secure: false };
  if (ctx.settings.people.allowInsecureCookies) return { name: LOCAL_COOKIE_NAME, secure: false };
  return { refused: `console sessions need HTTPS: PUBLIC_BASE_URL (${base.origin}) is plain HTTP (ALLOW_INSECURE_SESSION_COOKIES=true allows it, readable on the network)` };
}

function policy(ctx: ServiceContext): CookiePolicy {
  const chosen = cookiePolicyOf(ctx);
  if ('refused' in chosen) throw new ProblemError('forbidden', chosen.refused);
  return chosen;
}

/** The session cookie's value, if the request carries one (either name: a deployment may move to HTTPS). */
export function readSessionCookie(c: Context<ApiEnv>): string | undefined {
  return getCookie(c, SECURE_COOKIE_NAME) ?? getCookie(c, LOCAL_COOKIE_NAME);
}

/** Refuses early (before a password is checked) where sessions cannot be kept safely. */
export function requireSessionSupport(ctx: ServiceContext): void {
  policy(ctx);
}

export function setSessionCookie(c: Context<ApiEnv>, ctx: ServiceContext, started: StartedSession): void {
  const { name, secure } = policy(ctx);
  const maxAge = Math.max(0, Math.floor((started.expiresAt.getTime() - Date.now()) / 1000));
  setCookie(c, name, started.cookieValue, { path: '/', httpOnly: true, secure, sameSite: 'Lax', maxAge });
  // A session's answer is the holder's own: never stored by a shared cache.
  c.header('cache-control', 'no-store');
}

export function clearSessionCookie(c: Context<ApiEnv>, ctx: ServiceContext): void {
  const chosen = cookiePolicyOf(ctx);
  if ('refused' in chosen) return;
  deleteCookie(c, chosen.name, { path: '/', secure: chosen.secure });
}
