import type { SessionSchema } from '@kontext/core';
import type { z } from 'zod';
import type { ApiClient, ApiResponse } from './api-client.ts';

// The console as a browser runs it, for tests: a cookie jar of one (the session cookie, taken
// from Set-Cookie), the CSRF token from the session's answers, and the headers a browser's
// fetch() adds by itself to a same-origin request (Origin, Sec-Fetch-Site). Each request can drop
// or forge any of them, to play a cross-site page, a non-browser client or a thief. It rides on
// an ApiClient, so it goes over the platform's transport: in process or over the socket.

export type Session = z.infer<typeof SessionSchema>;

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** One Set-Cookie header, read: name, value and attributes (names lower-cased; flags map to ''). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string>;
  raw: string;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair = '', ...parts] = raw.split(';');
  const equals = pair.indexOf('=');
  const attributes: Record<string, string> = {};
  for (const part of parts) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf('=');
    if (at < 0) attributes[trimmed.toLowerCase()] = '';
    else attributes[trimmed.slice(0, at).trim().toLowerCase()] = trimmed.slice(at + 1).trim();
  }
  return { name: pair.slice(0, equals).trim(), value: pair.slice(equals + 1).trim(), attributes, raw };
}

/** The session cookies a response sets (by either of the platform's names). */
export function sessionCookiesOf(response: ApiResponse): SetCookie[] {
  return response.headers
    .getSetCookie()
    .map(parseSetCookie)
    .filter((cookie) => cookie.name === 'kontext_session' || cookie.name === '__Host-kontext_session');
}

function clearsCookie(cookie: SetCookie): boolean {
  if (cookie.value === '') return true;
  if (cookie.attributes['max-age'] !== undefined && Number(cookie.attributes['max-age']) <= 0) return true;
  const expires = cookie.attributes.expires;
  return expires !== undefined && Date.parse(expires) <= Date.now();
}

export interface ConsoleRequestOptions {
  json?: unknown;
  headers?: Record<string, string>;
  /** X-CSRF-Token: the session's (the default, on writes), another value (forged), or null for none. */
  csrf?: string | null;
  /** Origin: the console's (default), another origin, or null for none. */
  origin?: string | null;
  /** Sec-Fetch-Site: `same-origin` (default), another value, or null for none. */
  fetchSite?: string | null;
  /** The session cookie value to send instead of the kept one; null: send none. */
  cookie?: string | null;
  /** An API key sent beside the cookie, as x-key. */
  key?: string;
}

export class ConsoleSession {
  /** The session cookie's name and value, as last set by the server; undefined when there is none. */
  cookie: { name: string; value: string } | undefined;
  /** The csrf_token of the last session answer. */
  csrfToken: string | undefined;
  /** The session cookie the last response set (or cleared), if it set one. */
  lastSetCookie: SetCookie | undefined;

  constructor(
    /** The transport: a client whose key is never sent (requests go with `key: null`). */
    readonly transport: ApiClient,
    /** The console's origin, as the browser would send it: the platform's public base URL's. */
    readonly origin: string,
  ) {}

  /** A browser on the platform's console, over the platform's transport. */
  static of(platform: { api: ApiClient; publicBaseUrl: string }): ConsoleSession {
    return new ConsoleSession(platform.api, new URL(platform.publicBaseUrl).origin);
  }

  /** Another browser holding the same cookie and token (a second tab, or a thief). */
  clone(): ConsoleSession {
    const copy = new ConsoleSession(this.transport, this.origin);
    copy.cookie = this.cookie && { ...this.cookie };
    copy.csrfToken = this.csrfToken;
    return copy;
  }

  /** The session id from the kept cookie (`<id>.<secret>`). */
  get sessionId(): string | undefined {
    return this.cookie?.value.split('.')[0];
  }

  async request<T = unknown>(method: string, path: string, options: ConsoleRequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    const origin = options.origin === undefined ? this.origin : options.origin;
    if (origin !== null) headers.origin = origin;
    const fetchSite = options.fetchSite === undefined ? 'same-origin' : options.fetchSite;
    if (fetchSite !== null) headers['sec-fetch-site'] = fetchSite;
    const csrf = options.csrf === undefined ? (UNSAFE_METHODS.has(method.toUpperCase()) ? this.csrfToken : undefined) : options.csrf;
    if (csrf !== undefined && csrf !== null) headers['x-csrf-token'] = csrf;
    const cookieValue = options.cookie === undefined ? this.cookie?.value : options.cookie;
    if (cookieValue !== undefined && cookieValue !== null) headers.cookie = `${this.cookie?.name ?? 'kontext_session'}=${cookieValue}`;
    if (options.key !== undefined) headers['x-key'] = options.key;
    Object.assign(headers, options.headers);
    const response = await this.transport.request<T>(method, path, {
      key: null,
      headers,
      ...(options.json !== undefined ? { json: options.json } : {}),
    });
    this.#keep(response);
    return response;
  }

  #keep(response: ApiResponse): void {
    for (const cookie of sessionCookiesOf(response)) {
      this.lastSetCookie = cookie;
      this.cookie = clearsCookie(cookie) ? undefined : { name: cookie.name, value: cookie.value };
    }
    const body = response.body as Partial<Session> | undefined;
    if (response.status < 300 && body && typeof body === 'object' && typeof body.csrf_token === 'string') this.csrfToken = body.csrf_token;
  }

  signIn(email: string, password: string, options: { tenantId?: string } & ConsoleRequestOptions = {}): Promise<ApiResponse<Session>> {
    const { tenantId, ...rest } = options;
    return this.request<Session>('POST', '/v1/session', { ...rest, json: { email, password, ...(tenantId ? { tenant_id: tenantId } : {}) } });
  }

  acceptInvitation(token: string, password: string, name?: string): Promise<ApiResponse<Session>> {
    return this.request<Session>('POST', '/v1/invitations/accept', { json: { token, password, ...(name !== undefined ? { name } : {}) } });
  }

  signInWithLink(token: string): Promise<ApiResponse<Session>> {
    return this.request<Session>('POST', '/v1/session/link', { json: { token } });
  }

  signUp(body: { email: string; password: string; tenant_name: string; name?: string }): Promise<ApiResponse<Session>> {
    return this.request<Session>('POST', '/v1/signup', { json: body });
  }

  /** GET /v1/session (keeps its CSRF token). */
  current(): Promise<ApiResponse<Session>> {
    return this.request<Session>('GET', '/v1/session');
  }

  signOut(): Promise<ApiResponse> {
    return this.request('DELETE', '/v1/session');
  }

  switchTenant(tenantId: string): Promise<ApiResponse<Session>> {
    return this.request<Session>('PUT', '/v1/session/tenant', { json: { tenant_id: tenantId } });
  }

  changePassword(currentPassword: string, newPassword: string): Promise<ApiResponse<Session>> {
    return this.request<Session>('POST', '/v1/me/password', { json: { current_password: currentPassword, new_password: newPassword } });
  }
}
