import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { guardedFetch, GuardedFetchError, guardedPost, type GuardedFetchFailure, type GuardedFetchOptions, type ResolvedAddress, type Resolver } from '../src/index.ts';

// Real HTTP servers on 127.0.0.1 and an injected resolver that maps test hostnames to chosen
// addresses. Nothing is mocked: guardedFetch opens real sockets.

interface RecordedRequest {
  path: string;
  host: string | undefined;
  headers: http.IncomingHttpHeaders;
}

interface TestServer {
  port: number;
  requests: RecordedRequest[];
  /** An absolute URL on this server, under the given hostname (default 127.0.0.1). */
  url(path: string, hostname?: string): string;
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse, server: TestServer) => void;

/** Starts a server on 127.0.0.1 (free port), recording every request; closed when the test ends. */
async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  let port = 0;
  const server: TestServer = {
    get port() {
      return port;
    },
    requests,
    url: (path, hostname = '127.0.0.1') => `http://${hostname}:${port}${path}`,
  };
  const httpServer = http.createServer((request, response) => {
    requests.push({ path: request.url ?? '', host: request.headers.host, headers: request.headers });
    handler(request, response, server);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  port = (httpServer.address() as AddressInfo).port;
  onTestFinished(async () => {
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });
  return server;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const httpServer = http.createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  return port;
}

interface RecordingResolver {
  resolve: Resolver;
  calls: string[];
}

/** Resolves the listed hostnames to the given addresses and fails for any other name; records each call. */
function mapResolver(map: Record<string, string[]>): RecordingResolver {
  const calls: string[] = [];
  const resolve: Resolver = async (hostname) => {
    calls.push(hostname);
    const addresses = map[hostname];
    if (!addresses) throw new Error(`ENOTFOUND ${hostname}`);
    return addresses.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

function options(overrides: Partial<GuardedFetchOptions> = {}): GuardedFetchOptions {
  return { allowPrivateNetworks: true, maxBytes: 1_000_000, timeoutMs: 5_000, maxRedirects: 3, ...overrides };
}

/** The GuardedFetchError a fetch fails with; fails the test if it succeeds or fails with anything else. */
async function failureOf(promise: Promise<unknown>): Promise<GuardedFetchError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  if (outcome === undefined) throw new Error('expected guardedFetch to fail, but it succeeded');
  expect(outcome).toBeInstanceOf(GuardedFetchError);
  return outcome as GuardedFetchError;
}

async function expectFailure(promise: Promise<unknown>, reason: GuardedFetchFailure): Promise<GuardedFetchError> {
  const error = await failureOf(promise);
  expect(error.reason, error.message).toBe(reason);
  return error;
}

const PNG_BYTES = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

describe('a permitted fetch', () => {
  it('returns the body bytes, the content type and the final URL', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG_BYTES);
    });
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'] });
    const url = server.url('/cat.png?size=large', 'images.example.test');
    const response = await guardedFetch(url, options({ resolve: dns.resolve }));
    expect(Buffer.from(response.bytes)).toEqual(PNG_BYTES);
    expect(response.bytes).toBeInstanceOf(Uint8Array);
    expect(response.contentType).toBe('image/png');
    expect(response.finalUrl).toBe(url);
    expect(server.requests.map((r) => r.path)).toEqual(['/cat.png?size=large']);
  });

  it('sends the URL hostname as Host, its user agent and the caller\'s headers', async () => {
    const server = await startServer((_req, res) => res.end('ok'));
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'] });
    await guardedFetch(server.url('/', 'images.example.test'), options({ resolve: dns.resolve, headers: { accept: 'image/png, image/jpeg' } }));
    const [request] = server.requests;
    expect(request?.host).toBe(`images.example.test:${server.port}`);
    expect(request?.headers['user-agent']).toBe('kontext-platform');
    expect(request?.headers.accept).toBe('image/png, image/jpeg');
  });

  it('reports a missing content type as null', async () => {
    const server = await startServer((_req, res) => {
      res.removeHeader('content-type');
      res.end('no type');
    });
    const response = await guardedFetch(server.url('/'), options());
    expect(response.contentType).toBeNull();
    expect(Buffer.from(response.bytes).toString()).toBe('no type');
  });

  it('returns an empty body for 204', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const response = await guardedFetch(server.url('/'), options());
    expect(response.bytes).toHaveLength(0);
  });

  it('returns a body of exactly maxBytes, with or without Content-Length', async () => {
    const body = Buffer.alloc(1000, 7);
    const server = await startServer((req, res) => {
      if (req.url === '/sized') {
        res.writeHead(200, { 'content-length': String(body.length) });
        res.end(body);
        return;
      }
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.write(body.subarray(0, 400));
      res.end(body.subarray(400));
    });
    expect((await guardedFetch(server.url('/sized'), options({ maxBytes: 1000 }))).bytes).toHaveLength(1000);
    expect((await guardedFetch(server.url('/chunked'), options({ maxBytes: 1000 }))).bytes).toHaveLength(1000);
  });
});

describe('connection pinning', () => {
  it('connects to the resolved address for a name DNS cannot resolve (.invalid)', async () => {
    const server = await startServer((_req, res) => res.end('pinned'));
    const dns = mapResolver({ 'some-name.invalid': ['127.0.0.1'] });
    const response = await guardedFetch(server.url('/', 'some-name.invalid'), options({ resolve: dns.resolve }));
    expect(Buffer.from(response.bytes).toString()).toBe('pinned');
    expect(server.requests.map((r) => r.host)).toEqual([`some-name.invalid:${server.port}`]);
  });

  it('resolves each hostname once: a rebinding answer on a second lookup is never used', async () => {
    const server = await startServer((_req, res) => res.end('first answer'));
    const calls: string[] = [];
    // First answer: our server. Any later answer: an address that would fail the request.
    const resolve: Resolver = async (hostname) => {
      calls.push(hostname);
      return calls.length === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '192.0.2.1', family: 4 }];
    };
    const response = await guardedFetch(server.url('/', 'rebind.example.test'), options({ resolve, timeoutMs: 2_000 }));
    expect(Buffer.from(response.bytes).toString()).toBe('first answer');
    expect(calls).toEqual(['rebind.example.test']);
  });

  it('connects to the first resolved address', async () => {
    const server = await startServer((_req, res) => res.end('first'));
    const dns = mapResolver({ 'multi.example.test': ['127.0.0.1', '127.0.0.2'] });
    const response = await guardedFetch(server.url('/', 'multi.example.test'), options({ resolve: dns.resolve }));
    expect(Buffer.from(response.bytes).toString()).toBe('first');
  });
});

describe('blocked addresses (allowPrivateNetworks: false)', () => {
  it('refuses 127.0.0.1 before connecting', async () => {
    const server = await startServer((_req, res) => res.end('should not be reached'));
    await expectFailure(guardedFetch(server.url('/'), options({ allowPrivateNetworks: false })), 'blocked_address');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses localhost before connecting', async () => {
    const server = await startServer((_req, res) => res.end('should not be reached'));
    await expectFailure(guardedFetch(server.url('/', 'localhost'), options({ allowPrivateNetworks: false })), 'blocked_address');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses the IPv6 loopback literal [::1]', async () => {
    const port = await closedPort();
    await expectFailure(guardedFetch(`http://[::1]:${port}/`, options({ allowPrivateNetworks: false })), 'blocked_address');
  });

  it('refuses a hostname that resolves to loopback, before connecting', async () => {
    const server = await startServer((_req, res) => res.end('should not be reached'));
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'] });
    await expectFailure(guardedFetch(server.url('/', 'images.example.test'), options({ allowPrivateNetworks: false, resolve: dns.resolve })), 'blocked_address');
    expect(server.requests).toHaveLength(0);
    expect(dns.calls).toEqual(['images.example.test']);
  });

  it.each(['10.0.0.1', '169.254.169.254', '::ffff:127.0.0.1', 'fd00:ec2::254', '100.64.0.1'])(
    'refuses a hostname that resolves to %s',
    async (address) => {
      const dns = mapResolver({ 'internal.example.test': [address] });
      const error = await expectFailure(
        guardedFetch('http://internal.example.test/latest/meta-data/', options({ allowPrivateNetworks: false, resolve: dns.resolve, timeoutMs: 1_000 })),
        'blocked_address',
      );
      expect(error.message).toContain('internal.example.test');
    },
  );

  it('refuses a hostname that resolves to a public and a private address', async () => {
    const dns = mapResolver({ 'mixed.example.test': ['93.184.216.34', '10.0.0.1'] });
    await expectFailure(guardedFetch('http://mixed.example.test/', options({ allowPrivateNetworks: false, resolve: dns.resolve, timeoutMs: 1_000 })), 'blocked_address');
  });

  it('refuses a hostname whose first address is private even though another is public, before connecting', async () => {
    const server = await startServer((_req, res) => res.end('should not be reached'));
    const dns = mapResolver({ 'mixed.example.test': ['127.0.0.1', '93.184.216.34'] });
    await expectFailure(guardedFetch(server.url('/', 'mixed.example.test'), options({ allowPrivateNetworks: false, resolve: dns.resolve })), 'blocked_address');
    expect(server.requests).toHaveLength(0);
  });

  it('lets the same request through when private networks are allowed', async () => {
    const server = await startServer((_req, res) => res.end('reached'));
    const response = await guardedFetch(server.url('/'), options({ allowPrivateNetworks: true }));
    expect(Buffer.from(response.bytes).toString()).toBe('reached');
  });
});

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])('follows %i to an absolute Location', async (status) => {
    const server = await startServer((req, res, self) => {
      if (req.url === '/start') {
        res.writeHead(status, { location: self.url('/final', 'images.example.test') });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG_BYTES);
    });
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'] });
    const response = await guardedFetch(server.url('/start', 'images.example.test'), options({ resolve: dns.resolve }));
    expect(Buffer.from(response.bytes)).toEqual(PNG_BYTES);
    expect(response.finalUrl).toBe(server.url('/final', 'images.example.test'));
    expect(server.requests.map((r) => r.path)).toEqual(['/start', '/final']);
  });

  it.each([
    ['/a/b/start', '/final', '/final'],
    ['/a/b/start', 'final', '/a/b/final'],
    ['/a/b/start', '../final', '/a/final'],
    ['/a/b/start', '?page=2', '/a/b/start?page=2'],
  ])('resolves the relative Location from %s + %s to %s', async (start, location, expectedPath) => {
    const server = await startServer((req, res) => {
      if (req.url === start) {
        res.writeHead(302, { location });
        res.end();
        return;
      }
      res.end(`at ${req.url ?? ''}`);
    });
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'] });
    const response = await guardedFetch(server.url(start, 'images.example.test'), options({ resolve: dns.resolve }));
    expect(Buffer.from(response.bytes).toString()).toBe(`at ${expectedPath}`);
    expect(response.finalUrl).toBe(server.url(expectedPath, 'images.example.test'));
  });

  it('resolves a scheme-relative Location (//host:port/path)', async () => {
    const server = await startServer((req, res, self) => {
      if (req.url === '/start') {
        res.writeHead(302, { location: `//other.example.test:${self.port}/final` });
        res.end();
        return;
      }
      res.end('other');
    });
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'], 'other.example.test': ['127.0.0.1'] });
    const response = await guardedFetch(server.url('/start', 'images.example.test'), options({ resolve: dns.resolve }));
    expect(response.finalUrl).toBe(server.url('/final', 'other.example.test'));
  });

  it('resolves and checks the new host again on every hop', async () => {
    const server = await startServer((req, res, self) => {
      if (req.headers.host?.startsWith('a.example.test')) {
        res.writeHead(302, { location: self.url('/from-a', 'b.example.test') });
        res.end();
        return;
      }
      res.end('b');
    });
    const dns = mapResolver({ 'a.example.test': ['127.0.0.1'], 'b.example.test': ['127.0.0.1'] });
    const response = await guardedFetch(server.url('/', 'a.example.test'), options({ resolve: dns.resolve }));
    expect(Buffer.from(response.bytes).toString()).toBe('b');
    expect(dns.calls).toEqual(['a.example.test', 'b.example.test']);
    expect(server.requests.map((r) => r.host)).toEqual([`a.example.test:${server.port}`, `b.example.test:${server.port}`]);
  });

  it('fails with dns_failure when a redirect points at a host that does not resolve', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: 'http://nowhere.example.test/x' });
      res.end();
    });
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'] });
    await expectFailure(guardedFetch(server.url('/', 'images.example.test'), options({ resolve: dns.resolve })), 'dns_failure');
    expect(dns.calls).toEqual(['images.example.test', 'nowhere.example.test']);
  });

  it.each([
    ['an ftp URL', 'ftp://images.example.test/cat.png'],
    ['a file URL', 'file:///etc/passwd'],
    ['a URL with credentials', 'http://user:pw@images.example.test/cat.png'],
    ['a URL with a user name only', 'http://admin@images.example.test/cat.png'],
  ])('refuses a redirect to %s with invalid_url, without requesting it', async (_label, location) => {
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location });
      res.end();
    });
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'] });
    await expectFailure(guardedFetch(server.url('/start', 'images.example.test'), options({ resolve: dns.resolve })), 'invalid_url');
    expect(server.requests.map((r) => r.path)).toEqual(['/start']);
    expect(dns.calls).toEqual(['images.example.test']);
  });

  it('refuses a redirect whose Location is not a URL with invalid_url (not a raw TypeError)', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: 'http://[::1' });
      res.end();
    });
    await expectFailure(guardedFetch(server.url('/start'), options()), 'invalid_url');
  });

  /** /hop/N redirects to /hop/N-1; /hop/0 answers 200. */
  async function chainServer(): Promise<TestServer> {
    return startServer((req, res) => {
      const hops = Number(/^\/hop\/(\d+)$/.exec(req.url ?? '')?.[1] ?? '0');
      if (hops > 0) {
        res.writeHead(302, { location: `/hop/${hops - 1}` });
        res.end();
        return;
      }
      res.end('arrived');
    });
  }

  it('follows exactly maxRedirects redirects', async () => {
    const server = await chainServer();
    const response = await guardedFetch(server.url('/hop/3'), options({ maxRedirects: 3 }));
    expect(Buffer.from(response.bytes).toString()).toBe('arrived');
    expect(server.requests).toHaveLength(4);
  });

  it('fails with too_many_redirects after maxRedirects, without a further request', async () => {
    const server = await chainServer();
    await expectFailure(guardedFetch(server.url('/hop/4'), options({ maxRedirects: 3 })), 'too_many_redirects');
    expect(server.requests.map((r) => r.path)).toEqual(['/hop/4', '/hop/3', '/hop/2', '/hop/1']);
  });

  it('with maxRedirects 0 refuses any redirect but fetches a direct answer', async () => {
    const server = await chainServer();
    await expectFailure(guardedFetch(server.url('/hop/1'), options({ maxRedirects: 0 })), 'too_many_redirects');
    expect((await guardedFetch(server.url('/hop/0'), options({ maxRedirects: 0 }))).bytes).toHaveLength('arrived'.length);
  });

  it('stops a redirect loop with too_many_redirects', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(301, { location: '/loop' });
      res.end();
    });
    await expectFailure(guardedFetch(server.url('/loop'), options({ maxRedirects: 5 })), 'too_many_redirects');
    expect(server.requests).toHaveLength(6);
  });

  it('treats a redirect status without Location as an HTTP error', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(302);
      res.end();
    });
    await expectFailure(guardedFetch(server.url('/'), options()), 'http_status');
  });
});

describe('HTTP errors', () => {
  it.each([400, 403, 404, 304, 500, 503])('fails with http_status for %i, naming the status', async (status) => {
    const server = await startServer((_req, res) => {
      res.writeHead(status);
      res.end();
    });
    const error = await expectFailure(guardedFetch(server.url('/'), options()), 'http_status');
    expect(error.message).toContain(String(status));
  });
});

describe('size limit', () => {
  it('fails with too_large when Content-Length exceeds maxBytes', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '2000' });
      res.end(Buffer.alloc(2000));
    });
    await expectFailure(guardedFetch(server.url('/'), options({ maxBytes: 1000 })), 'too_large');
  });

  it('refuses on the declared Content-Length alone, without waiting for the body', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(50_000_000) });
      res.write(Buffer.alloc(10));
      // ... and never sends the rest.
    });
    // Waiting for the body would end in a timeout (the rest never comes), so too_large is the proof.
    await expectFailure(guardedFetch(server.url('/'), options({ maxBytes: 1000, timeoutMs: 5_000 })), 'too_large');
  });

  it('fails with too_large for a chunked body (no Content-Length) over maxBytes', async () => {
    let sentLength: boolean | undefined;
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      sentLength = res.hasHeader('content-length');
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= 10) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(Buffer.alloc(200, sent));
        sent += 1;
      }, 5);
    });
    await expectFailure(guardedFetch(server.url('/'), options({ maxBytes: 1000 })), 'too_large');
    expect(sentLength).toBe(false);
  });

  it('stops reading an endless chunked body and closes the connection', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 1);
      res.on('close', () => {
        clearInterval(timer);
        closed();
      });
    });
    await expectFailure(guardedFetch(server.url('/'), options({ maxBytes: 100_000, timeoutMs: 10_000 })), 'too_large');
    // Left open, the server would write forever and this would hang until the test's timeout.
    await connectionClosed;
  });
});

describe('time limit', () => {
  // Each case would otherwise never end (or end with the body): failing with timeout at all is the
  // proof, and the test's own timeout catches a hang. The lower bound shows it did not give up
  // early; a slow machine can only add to the elapsed time, never fail it.
  async function expectTimeoutWithin(promise: Promise<unknown>, timeoutMs: number): Promise<void> {
    const started = performance.now();
    const failure = await failureOf(promise);
    const elapsed = performance.now() - started;
    expect(failure.reason, failure.message).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
  }

  it('fails with timeout when the server never answers', async () => {
    const server = await startServer(() => {
      // Accept the request, never respond.
    });
    await expectTimeoutWithin(guardedFetch(server.url('/'), options({ timeoutMs: 300 })), 300);
  });

  it('fails with timeout when the body never finishes', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '1000' });
      res.write(Buffer.alloc(10));
    });
    await expectTimeoutWithin(guardedFetch(server.url('/'), options({ timeoutMs: 300 })), 300);
  });

  it('limits the whole transfer, not the gap between bytes (a slow drip times out)', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      const timer = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(timer));
    });
    await expectTimeoutWithin(guardedFetch(server.url('/'), options({ timeoutMs: 400 })), 400);
  });

  it('limits the whole redirect chain, not each hop', async () => {
    const server = await startServer((req, res) => {
      setTimeout(() => {
        if (req.url === '/slow-1') {
          res.writeHead(302, { location: '/slow-2' });
          res.end();
          return;
        }
        if (req.url === '/slow-2') {
          res.writeHead(302, { location: '/slow-3' });
          res.end();
          return;
        }
        res.end('late');
      }, 200);
    });
    await expectTimeoutWithin(guardedFetch(server.url('/slow-1'), options({ timeoutMs: 500 })), 500);
  });

  it('fails with timeout when name resolution never completes', async () => {
    const resolve: Resolver = () => new Promise<ResolvedAddress[]>(() => {});
    await expectTimeoutWithin(guardedFetch('http://hanging-dns.example.test/', options({ resolve, timeoutMs: 300 })), 300);
  });
});

describe('invalid URLs', () => {
  it.each([
    ['a file URL', 'file:///etc/passwd'],
    ['a URL with user and password', 'http://user:pw@images.example.test/'],
    ['a URL with a user name only', 'http://user@images.example.test/'],
    ['a URL with a password only', 'https://:pw@images.example.test/'],
    ['text that is not a URL', 'not a url'],
    ['an empty string', ''],
    ['a relative path', '/etc/passwd'],
    ['an ftp URL', 'ftp://images.example.test/cat.png'],
    ['a javascript URL', 'javascript:alert(1)'],
    ['a data URL', 'data:image/png;base64,iVBORw0KGgo='],
    ['a gopher URL', 'gopher://127.0.0.1:6379/_INFO'],
  ])('refuses %s with invalid_url, before resolving', async (_label, url) => {
    const dns = mapResolver({ 'images.example.test': ['127.0.0.1'] });
    await expectFailure(guardedFetch(url, options({ resolve: dns.resolve })), 'invalid_url');
    expect(dns.calls).toEqual([]);
  });
});

describe('name resolution failures', () => {
  it('fails with dns_failure when the resolver throws', async () => {
    const resolve: Resolver = async () => {
      throw new Error('ENOTFOUND');
    };
    const error = await expectFailure(guardedFetch('http://missing.example.test/', options({ resolve })), 'dns_failure');
    expect(error.message).toContain('missing.example.test');
  });

  it('fails with dns_failure when the resolver returns no addresses', async () => {
    const resolve: Resolver = async () => [];
    await expectFailure(guardedFetch('http://empty.example.test/', options({ resolve })), 'dns_failure');
  });

  it('fails with dns_failure for an unknown name even when private networks are allowed', async () => {
    const dns = mapResolver({});
    await expectFailure(guardedFetch('http://unknown.example.test/', options({ resolve: dns.resolve, allowPrivateNetworks: true })), 'dns_failure');
    expect(dns.calls).toEqual(['unknown.example.test']);
  });
});

describe('network failures', () => {
  it('fails with network when the connection is refused', async () => {
    const port = await closedPort();
    await expectFailure(guardedFetch(`http://127.0.0.1:${port}/`, options()), 'network');
  });

  it('fails with network when the server drops the connection mid-response', async () => {
    const server = await startServer((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10), () => req.socket.destroy());
    });
    await expectFailure(guardedFetch(server.url('/'), options()), 'network');
  });

  it('GuardedFetchError is an Error with its reason and name', async () => {
    const error = await failureOf(guardedFetch('not a url', options()));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('GuardedFetchError');
    expect(error.reason).toBe('invalid_url');
  });
});

describe('guardedPost', () => {
  const post = (url: string, overrides: Partial<Parameters<typeof guardedPost>[2]> = {}) =>
    guardedPost(url, '{"a":1}', { allowPrivateNetworks: true, timeoutMs: 5_000, maxResponseBytes: 100, headers: { 'content-type': 'application/json' }, ...overrides });

  it('returns a body within the limit whole, and says it is', async () => {
    const server = await startServer((_req, res) => res.end('x'.repeat(100)));
    const response = await post(server.url('/'));
    expect(response).toMatchObject({ status: 200, excerpt: 'x'.repeat(100), truncated: false });
  });

  it('keeps the first maxResponseBytes of a longer body and says it was cut', async () => {
    const server = await startServer((_req, res) => res.end('y'.repeat(5000)));
    const response = await post(server.url('/'));
    expect(response).toMatchObject({ status: 200, excerpt: 'y'.repeat(100), truncated: true });
  });

  it("fails with aborted, not timeout, when the caller's signal ends it", async () => {
    const controller = new AbortController();
    const server = await startServer(() => controller.abort('job canceled'));
    const error = await expectFailure(post(server.url('/'), { signal: controller.signal }), 'aborted');
    expect(error.message).not.toMatch(/within/);
  });

  it('fails with aborted before connecting when the signal has already ended', async () => {
    const server = await startServer((_req, res) => res.end('late'));
    await expectFailure(post(server.url('/'), { signal: AbortSignal.abort('gone') }), 'aborted');
    expect(server.requests).toEqual([]);
  });

  it('still fails with timeout at its deadline while the signal is live', async () => {
    const server = await startServer(() => {
      // Accept the request, never respond.
    });
    await expectFailure(post(server.url('/'), { timeoutMs: 300, signal: new AbortController().signal }), 'timeout');
  });
});
