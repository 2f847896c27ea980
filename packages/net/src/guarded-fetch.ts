import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress } from './address-policy.ts';

// Every outbound request the platform makes on a user's behalf goes through here: http(s) only,
// no credentials in URLs, every resolved address checked before connecting (and the connection
// pinned to the checked address, so DNS rebinding cannot swap it), redirects followed by hand and
// each hop checked again, bounded time and size.

export type GuardedFetchFailure =
  | 'invalid_url'
  | 'blocked_address'
  | 'dns_failure'
  | 'too_many_redirects'
  | 'http_status'
  | 'too_large'
  | 'timeout'
  | 'aborted'
  | 'network';

export class GuardedFetchError extends Error {
  constructor(
    readonly reason: GuardedFetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'GuardedFetchError';
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface GuardedFetchOptions {
  /** Local development only: lets requests reach loopback and private networks. */
  allowPrivateNetworks: boolean;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** Injected in tests to simulate hostnames resolving to chosen addresses. */
  resolve?: Resolver;
  headers?: Record<string, string>;
}

export interface GuardedResponse {
  bytes: Uint8Array;
  contentType: string | null;
  finalUrl: string;
}

const defaultResolver: Resolver = async (hostname) => {
  const results = await dnsLookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export async function guardedFetch(url: string, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let current = url;
  for (let hop = 0; hop <= options.maxRedirects; hop++) {
    const target = parseTarget(current);
    const address = await withDeadline(resolveChecked(target, options), deadline, options.timeoutMs);
    const response = await requestOnce(target, address, options, deadline);
    if (response.kind === 'redirect') {
      current = resolveLocation(response.location, target);
      continue;
    }
    return { bytes: response.bytes, contentType: response.contentType, finalUrl: current };
  }
  throw new GuardedFetchError('too_many_redirects', `more than ${options.maxRedirects} redirects`);
}

function resolveLocation(location: string, base: URL): string {
  try {
    return new URL(location, base).toString();
  } catch {
    throw new GuardedFetchError('invalid_url', 'the server redirected to an invalid URL');
  }
}

function parseTarget(text: string): URL {
  let target: URL;
  try {
    target = new URL(text);
  } catch {
    throw new GuardedFetchError('invalid_url', 'not a valid URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new GuardedFetchError('invalid_url', 'only http and https URLs are allowed');
  }
  if (target.username || target.password) {
    throw new GuardedFetchError('invalid_url', 'URLs with credentials are not allowed');
  }
  return target;
}

async function resolveChecked(
  target: URL,
  options: Pick<GuardedFetchOptions, 'allowPrivateNetworks' | 'resolve'>,
): Promise<ResolvedAddress> {
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  try {
    addresses = await (options.resolve ?? defaultResolver)(hostname);
  } catch {
    throw new GuardedFetchError('dns_failure', `could not resolve ${hostname}`);
  }
  const first = addresses[0];
  if (!first) throw new GuardedFetchError('dns_failure', `could not resolve ${hostname}`);
  if (!options.allowPrivateNetworks) {
    // Every address must be public: otherwise a round-robin record could mix in an internal one.
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) {
      throw new GuardedFetchError('blocked_address', `${hostname} resolves to a private, loopback or reserved address`);
    }
  }
  return first;
}

/**
 * DNS counts against the same deadline as the transfer: a stalled resolver cannot hold a request.
 * A caller's own signal (a canceled job) ends the wait as well.
 */
function withDeadline<T>(work: Promise<T>, deadline: AbortSignal, timeoutMs: number, callerSignal?: AbortSignal): Promise<T> {
  const stop = callerSignal ? AbortSignal.any([deadline, callerSignal]) : deadline;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stopError(deadline, timeoutMs));
    if (stop.aborted) return onAbort();
    stop.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        stop.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        stop.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Why a request stopped early: its deadline passed, or else its caller gave up on it. */
function stopError(deadline: AbortSignal, timeoutMs: number): GuardedFetchError {
  return deadline.aborted
    ? new GuardedFetchError('timeout', `no complete response within ${timeoutMs} ms`)
    : new GuardedFetchError('aborted', 'the request was abandoned by its caller');
}

/** Checks that a URL is one the guard would let a request reach (scheme, credentials, resolved addresses). */
export async function checkTarget(
  url: string,
  options: { allowPrivateNetworks: boolean; timeoutMs: number; resolve?: Resolver },
): Promise<void> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  await withDeadline(resolveChecked(parseTarget(url), options), deadline, options.timeoutMs);
}

export interface GuardedPostOptions {
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  /** Bytes of the response body kept (and read); the rest is not read at all. */
  maxResponseBytes: number;
  headers: Record<string, string>;
  resolve?: Resolver;
  /** Ends the request early (an `aborted` failure), beside the deadline: e.g. its job was canceled. */
  signal?: AbortSignal;
}

export interface GuardedPostResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The start of the body, at most maxResponseBytes of it. */
  excerpt: string;
  /** The body was longer than maxResponseBytes: the excerpt is not all of it. */
  truncated: boolean;
}

/**
 * One POST through the same guard (http(s) only, checked and pinned addresses, one deadline) that
 * follows no redirect: a 3xx comes back as what it is. Any status is returned; only failing to get
 * one (refused target, DNS, network, timeout, the caller's signal) throws.
 */
export async function guardedPost(url: string, body: string, options: GuardedPostOptions): Promise<GuardedPostResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const stop = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const target = parseTarget(url);
  const address = await withDeadline(resolveChecked(target, options), deadline, options.timeoutMs, options.signal);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise<GuardedPostResponse>((resolve, reject) => {
    const request = transport.request(
      target,
      {
        method: 'POST',
        lookup: pinnedLookup(address),
        headers: { 'user-agent': 'kontext-platform', 'content-length': String(Buffer.byteLength(body)), ...options.headers },
        signal: stop,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = (truncated: boolean) =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            excerpt: Buffer.concat(chunks).subarray(0, options.maxResponseBytes).toString('utf8'),
            truncated,
          });
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          kept += chunk.length;
          // Enough read to know there is more: a receiver streaming a huge body does not hold the caller.
          if (kept > options.maxResponseBytes) {
            response.destroy();
            finish(true);
          }
        });
        response.on('end', () => finish(false));
        response.on('error', (error) => reject(mapError(error, deadline, { timeoutMs: options.timeoutMs }, options.signal)));
      },
    );
    request.on('error', (error) => reject(mapError(error, deadline, { timeoutMs: options.timeoutMs }, options.signal)));
    request.end(body);
  });
}

function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  // The socket connects to the address we checked, whatever DNS says a moment later.
  return (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}

type OnceResult =
  | { kind: 'redirect'; location: string }
  | { kind: 'body'; bytes: Uint8Array; contentType: string | null };

function requestOnce(target: URL, pinned: ResolvedAddress, options: GuardedFetchOptions, deadline: AbortSignal): Promise<OnceResult> {
  const lookup = pinnedLookup(pinned);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise<OnceResult>((resolve, reject) => {
    if (deadline.aborted) {
      reject(new GuardedFetchError('timeout', `no complete response within ${options.timeoutMs} ms`));
      return;
    }
    const request = transport.request(
      target,
      { method: 'GET', lookup, headers: { 'user-agent': 'kontext-platform', ...options.headers }, signal: deadline },
      (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (REDIRECT_STATUSES.has(status) && location) {
          response.resume();
          resolve({ kind: 'redirect', location });
          return;
        }
        if (status < 200 || status > 299) {
          response.resume();
          reject(new GuardedFetchError('http_status', `the server answered HTTP ${status}`));
          return;
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          response.destroy();
          reject(new GuardedFetchError('too_large', `the response is larger than ${options.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        response.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > options.maxBytes) {
            response.destroy();
            reject(new GuardedFetchError('too_large', `the response is larger than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          resolve({ kind: 'body', bytes: new Uint8Array(Buffer.concat(chunks)), contentType: response.headers['content-type'] ?? null });
        });
        response.on('error', (error) => reject(mapError(error, deadline, options)));
      },
    );
    request.on('error', (error) => reject(mapError(error, deadline, options)));
    request.end();
  });
}

function mapError(error: unknown, deadline: AbortSignal, options: { timeoutMs: number }, callerSignal?: AbortSignal): GuardedFetchError {
  if (error instanceof GuardedFetchError) return error;
  if (deadline.aborted || callerSignal?.aborted) return stopError(deadline, options.timeoutMs);
  return new GuardedFetchError('network', error instanceof Error ? error.message : 'network error');
}
