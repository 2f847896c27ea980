// Where a lapsed session sends the user, and where sign-in sends them back. Pure: no DOM.

export const CONSOLE_BASE = '/console';
export const HOME = `${CONSOLE_BASE}/`;

/** Pages for people without a session: never a `next` to come back to. */
const PUBLIC_PAGES = ['/sign-in', '/accept-invitation', '/reset-password'];

const ORIGIN = 'https://console.invalid';

/** Whether a console path (with or without the /console base) is one of the signed-out pages. */
export function isPublicPath(pathname: string): boolean {
  const inner = pathname.startsWith(`${CONSOLE_BASE}/`) ? pathname.slice(CONSOLE_BASE.length) : pathname;
  return PUBLIC_PAGES.some((page) => inner === page || inner === `${page}/`);
}

/**
 * The sign-in page's address for a user whose session lapsed at `currentPath` (pathname plus
 * search, as the browser shows it): `/console/sign-in?next=<currentPath>`, without a `next` when
 * there is nothing worth coming back to (the home page, or a signed-out page).
 */
export function signInHref(currentPath: string): string {
  const next = safeNext(currentPath);
  if (next === HOME || next === CONSOLE_BASE) return `${CONSOLE_BASE}/sign-in`;
  return `${CONSOLE_BASE}/sign-in?next=${encodeURIComponent(next)}`;
}

/**
 * A `next` parameter made safe to follow: a path of this console on this origin, else the home
 * page. Refuses other origins (`https://evil.example`, `//evil.example`, `/\evil.example`), paths
 * outside /console, and the signed-out pages (no loop back to sign-in).
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return HOME;
  let url: URL;
  try {
    url = new URL(next, ORIGIN);
  } catch {
    return HOME;
  }
  if (url.origin !== ORIGIN) return HOME;
  if (url.pathname !== CONSOLE_BASE && !url.pathname.startsWith(`${CONSOLE_BASE}/`)) return HOME;
  if (isPublicPath(url.pathname)) return HOME;
  // The fragment is the client's own (tokens travel there): never carried along.
  return `${url.pathname}${url.search}`;
}

/** A console path without its base, as the router names it: `/console/keys?x=1` → `/keys?x=1`. */
export function routerHref(consolePath: string): string {
  if (consolePath === CONSOLE_BASE) return '/';
  return consolePath.startsWith(`${CONSOLE_BASE}/`) ? consolePath.slice(CONSOLE_BASE.length) : consolePath;
}

export type EmailedTokenKind = 'sgn' | 'inv' | 'pwr';

const TOKEN_PATTERN = /^(inv|pwr|sgn)_[A-Za-z0-9_-]{43}$/;

/**
 * The token of an emailed link, from the address's fragment (`#token=sgn_…`): links carry
 * tokens in the fragment so they never reach a server's logs. Null unless it is one of `kind`.
 */
export function fragmentToken(hash: string, kind: EmailedTokenKind): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token');
  if (!token || !TOKEN_PATTERN.test(token) || !token.startsWith(`${kind}_`)) return null;
  return token;
}
