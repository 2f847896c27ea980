import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiEnv } from '../../../functions/api/src/env.ts';
import { CONSOLE_CSP, registerConsoleRoutes } from '../../../functions/api/src/routes/console/index.ts';
import { acceptsGzip } from '../../../functions/api/src/routes/console/serve-console.ts';
import { ensureConsoleBuilt } from '../build.ts';

// /console through the Hono app in process: a fixture build for the rules (policy, caching, the
// single-page fallback, refusals), then the real build of packages/console.

const NONCE_PLACEHOLDER = 'KONTEXT_CSP_NONCE';
const INDEX = `<!doctype html><html><head><meta property="csp-nonce" nonce="${NONCE_PLACEHOLDER}"><script type="module" src="/console/assets/app-AbC123.js" nonce="${NONCE_PLACEHOLDER}"></script></head><body><div id="root"></div></body></html>`;

let fixture: string;
let warnings: string[];

function appFor(directory: string) {
  const app = new OpenAPIHono<ApiEnv>();
  warnings = [];
  registerConsoleRoutes(app, { ctx: { log: { warn: (message: string) => void warnings.push(message) } } }, directory);
  return app;
}

beforeAll(async () => {
  // The build sits one folder down, beside a file no request may reach.
  fixture = await mkdtemp(join(tmpdir(), 'console-serving-'));
  const dist = join(fixture, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(fixture, 'secret.txt'), 'outside the build');
  await writeFile(join(dist, 'index.html'), INDEX);
  await writeFile(join(dist, '.build-stamp'), 'hash');
  await writeFile(join(dist, 'assets', 'app-AbC123.js'), 'console.log("app")');
  await writeFile(join(dist, 'assets', 'index-Xy9.css'), 'body{}');
  await writeFile(join(dist, 'assets', 'logo-Q1.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(dist, 'robots.txt'), 'User-agent: *');
});

afterAll(async () => {
  await rm(fixture, { recursive: true, force: true });
});

const securityHeaders = (response: Response) => ({
  nosniff: response.headers.get('x-content-type-options'),
  referrer: response.headers.get('referrer-policy'),
  frame: response.headers.get('x-frame-options'),
});
const expectSecurityHeaders = (response: Response) =>
  expect(securityHeaders(response)).toEqual({ nosniff: 'nosniff', referrer: 'no-referrer', frame: 'DENY' });

describe('the console from a build folder', () => {
  test('index.html: no-cache, the strict policy with a fresh style nonce in place of the placeholder', async () => {
    const app = appFor(join(fixture, 'dist'));
    const first = await app.request('/console');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expectSecurityHeaders(first);
    const csp = first.headers.get('content-security-policy') ?? '';
    const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    // Exactly the console's policy otherwise: the nonce is in style-src only, scripts get none.
    expect(csp.replace(` 'nonce-${nonce}'`, '')).toBe(CONSOLE_CSP);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toMatch(/script-src 'self';/);
    const html = await first.text();
    expect(html).not.toContain(NONCE_PLACEHOLDER);
    expect(html).toContain(`nonce="${nonce}"`);

    const second = await app.request('/console/');
    const again = /'nonce-([^']+)'/.exec(second.headers.get('content-security-policy') ?? '')?.[1];
    expect(again).toBeDefined();
    expect(again).not.toBe(nonce);
  });

  test('paths of the app that are not files get index.html (the router takes over)', async () => {
    const app = appFor(join(fixture, 'dist'));
    for (const path of ['/console/keys', '/console/keys/', '/console/sign-in?next=%2Fconsole%2Fkeys', '/console/jobs/job_123/lineage', '/console/index.html']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control'), path).toBe('no-cache');
      expect(await response.text(), path).toContain('<div id="root">');
    }
  });

  test('hashed assets: their type, a year immutable, and the policy', async () => {
    const app = appFor(join(fixture, 'dist'));
    const expected: Record<string, string> = {
      '/console/assets/app-AbC123.js': 'text/javascript; charset=utf-8',
      '/console/assets/index-Xy9.css': 'text/css; charset=utf-8',
      '/console/assets/logo-Q1.svg': 'image/svg+xml',
    };
    for (const [path, type] of Object.entries(expected)) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(type);
      expect(response.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-security-policy'), path).toBe(CONSOLE_CSP);
      expectSecurityHeaders(response);
    }
    expect(await (await app.request('/console/assets/app-AbC123.js')).text()).toBe('console.log("app")');
    const other = await app.request('/console/robots.txt');
    expect(other.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(other.headers.get('cache-control')).toBe('no-cache');
  });

  test('text is gzipped for clients that take it, the same bytes once unpacked', async () => {
    const app = appFor(join(fixture, 'dist'));
    const packed = await app.request('/console/assets/app-AbC123.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(packed.headers.get('content-encoding')).toBe('gzip');
    expect(packed.headers.get('vary')).toBe('accept-encoding');
    expect(gunzipSync(Buffer.from(await packed.arrayBuffer())).toString()).toBe('console.log("app")');
    const plain = await app.request('/console/assets/app-AbC123.js', { headers: { 'accept-encoding': 'br;q=1, gzip;q=0' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe('console.log("app")');
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('GZIP;q=0.5')).toBe(true);
  });

  test('a missing asset is a 404 problem, never the page', async () => {
    const app = appFor(join(fixture, 'dist'));
    const response = await app.request('/console/assets/app-Gone99.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expectSecurityHeaders(response);
    expect(await response.text()).not.toContain('<div id="root">');
  });

  test('traversal, encoded or not, and hidden files are refused', async () => {
    const app = appFor(join(fixture, 'dist'));
    for (const path of [
      '/console/..%2fsecret.txt',
      '/console/..%2Fsecret.txt',
      '/console/%2e%2e%2fsecret.txt',
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/..%5csecret.txt',
      '/console/assets%2f..%2f..%2fsecret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/../secret.txt',
      '/console//secret.txt',
      '/console/.build-stamp',
      '/console/assets/%00.js',
      '/console/%E0%A4%A',
    ]) {
      const response = await app.request(path);
      const body = await response.text();
      expect(response.status, path).toBe(404);
      expect(body, path).not.toContain('outside the build');
      expect(body, path).not.toContain('<div id="root">');
      expect(body, path).not.toContain('hash');
    }
  });

  test('not an API route: the OpenAPI document does not list it', () => {
    const app = appFor(join(fixture, 'dist'));
    const document = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'test', version: '0' } });
    expect(Object.keys(document.paths ?? {}).filter((path) => path.startsWith('/console'))).toEqual([]);
  });

  test('without a build, /console is a 404 problem, and the log says so once', async () => {
    const app = appFor(join(fixture, 'not-built'));
    for (const path of ['/console', '/console/keys']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not built/);
  });
});

describe('the real build', () => {
  test(
    'ensureConsoleBuilt builds once; index.html names only files that are served with their types',
    async () => {
      const logs: string[] = [];
      const first = await ensureConsoleBuilt({ log: (message) => void logs.push(message) });
      expect(first.directory).toMatch(/packages\/console\/dist$/);
      const html = await readFile(join(first.directory, 'index.html'), 'utf8');
      // No inline script: every <script> has a src.
      expect(html.match(/<script\b[^>]*>/g)?.every((tag) => /\bsrc=/.test(tag))).toBe(true);
      expect(html).not.toMatch(/<style\b/);

      // Up to date now: the second call only hashes the sources.
      const second = await ensureConsoleBuilt({ log: (message) => void logs.push(message) });
      expect(second.built).toBe(false);

      const app = appFor(first.directory);
      const page = await (await app.request('/console/')).text();
      const urls = [...page.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]!);
      expect(urls.some((url) => url.endsWith('.js'))).toBe(true);
      expect(urls.some((url) => url.endsWith('.css'))).toBe(true);
      for (const url of urls) {
        expect(url, url).toMatch(/-[A-Za-z0-9_-]{8}\.(js|css)$/);
        const response = await app.request(url);
        expect(response.status, url).toBe(200);
        expect(response.headers.get('content-type'), url).toBe(url.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
        expect(response.headers.get('cache-control'), url).toBe('public, max-age=31536000, immutable');
      }
    },
    120_000,
  );
});
