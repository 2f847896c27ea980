import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProblemError } from '@kontext/core';
import type { Logger } from '@kontext/services';
import type { Context } from 'hono';
import type { ApiApp, ApiEnv } from '../../env.ts';
import { problemResponse } from '../../problem-response.ts';

// The web console (packages/console): a static single-page app, served from its build folder at
// /console. Not API routes, so not in the OpenAPI document (plain app.get). Files are read per
// request (a build while the server runs is served at once), text gzipped for clients that take
// it (kept compressed in memory per file version); unknown paths that are not assets get
// index.html, where the app's router takes over.

/** The console's policy: only this origin's scripts, styles, images and API; no framing, no plugins. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * The nonce index.html carries as built (packages/console/vite.config.ts). Each index.html gets a
 * fresh one, allowed in style-src only: the app hands it to the one <style> tag a library inserts
 * (Radix's scroll lock under modal dialogs). No 'unsafe-inline' anywhere; scripts get no nonce.
 */
export const CSP_NONCE_PLACEHOLDER = 'KONTEXT_CSP_NONCE';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/** Hashed names under assets/ never change content: a year, immutable. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.webmanifest': 'application/manifest+json',
};

/** Text worth compressing; images and fonts are compressed already. */
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt', '.webmanifest']);
const gzip = promisify(gzipCallback);

/** packages/console/dist of this checkout (functions/api/src/routes/console/ is five folders down). */
export function defaultConsoleDirectory(): string {
  return fileURLToPath(new URL('../../../../../packages/console/dist/', import.meta.url));
}

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file a path under /console names, or null when the path is refused: a segment that is
 * empty in the middle, `.` or `..` (encoded or not), hidden (a leading dot, like the build stamp),
 * or holding a slash, backslash or NUL once decoded. `rest` is the raw, still-encoded path after
 * `/console/`. Returns [] segments for the app's root.
 */
export function consoleSegments(rest: string): string[] | null {
  const raw = rest.split('/');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop(); // a trailing slash
  const segments: string[] = [];
  for (const part of raw) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

export interface ConsoleRouteDependencies {
  ctx: { log: Pick<Logger, 'warn'> };
}

export function registerConsole(app: ApiApp, deps: ConsoleRouteDependencies, directory: string): void {
  const root = resolve(directory);
  let warnedUnbuilt = false;
  // Gzipped bodies by path, size and time: a rebuilt file (another size or time) is compressed again.
  const compressed = new Map<string, Promise<Buffer>>();
  const gzipped = (file: string, body: Buffer, version: string) => {
    const key = `${file}\0${version}`;
    let entry = compressed.get(key);
    if (!entry) {
      entry = gzip(body, { level: 9 });
      entry.catch(() => compressed.delete(key));
      compressed.set(key, entry);
    }
    return entry;
  };

  const refuse = (c: Context<ApiEnv>, detail: string) =>
    problemResponse(c, new ProblemError('not_found', detail), { 'content-security-policy': CONSOLE_CSP, ...SECURITY_HEADERS });

  const serveIndex = async (c: Context<ApiEnv>) => {
    const found = await readFileOrNull(join(root, 'index.html'));
    if (found === null) {
      if (!warnedUnbuilt) {
        warnedUnbuilt = true;
        deps.ctx.log.warn('the console is not built: /console answers 404 until it is (npm run build -w packages/console)', { directory: root });
      }
      return refuse(c, 'the console is not built on this server');
    }
    let html = found.body.toString('utf8');
    let csp = CONSOLE_CSP;
    if (html.includes(CSP_NONCE_PLACEHOLDER)) {
      const nonce = randomBytes(18).toString('base64');
      html = html.replaceAll(CSP_NONCE_PLACEHOLDER, nonce);
      csp = CONSOLE_CSP.replace("style-src 'self'", `style-src 'self' 'nonce-${nonce}'`);
    }
    return c.body(html, 200, {
      'content-type': CONTENT_TYPES['.html']!,
      'cache-control': NO_CACHE,
      'content-security-policy': csp,
      ...SECURITY_HEADERS,
    });
  };

  const serve = async (c: Context<ApiEnv>) => {
    const pathname = new URL(c.req.url).pathname;
    const rest = pathname === '/console' ? '' : pathname.slice('/console/'.length);
    const segments = consoleSegments(rest);
    if (segments === null) return refuse(c, `no console file at ${pathname}`);
    if (segments.length === 0 || (segments.length === 1 && segments[0] === 'index.html')) return serveIndex(c);
    const file = join(root, ...segments);
    if (!file.startsWith(root + sep)) return refuse(c, `no console file at ${pathname}`);
    const found = await readFileOrNull(file);
    if (found !== null) {
      const headers: Record<string, string> = {
        'content-type': contentTypeOf(file),
        'cache-control': segments[0] === 'assets' ? IMMUTABLE : NO_CACHE,
        'content-security-policy': CONSOLE_CSP,
        ...SECURITY_HEADERS,
      };
      let body = found.body;
      if (COMPRESSIBLE.has(extname(file).toLowerCase())) {
        headers.vary = 'accept-encoding';
        if (acceptsGzip(c.req.header('accept-encoding'))) {
          body = await gzipped(file, found.body, found.version);
          headers['content-encoding'] = 'gzip';
        }
      }
      return c.body(new Uint8Array(body), 200, headers);
    }
    // A missing asset is a 404, never the app's page (a script that gets HTML fails obscurely).
    if (segments[0] === 'assets') return refuse(c, `no console file at ${pathname}`);
    return serveIndex(c);
  };

  app.get('/console', serve);
  app.get('/console/*', serve);
}

/** A regular file's bytes and a version (size and time); null when there is none (missing, or a folder). */
async function readFileOrNull(path: string): Promise<{ body: Buffer; version: string } | null> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
    return { body: await readFile(path), version: `${info.size}:${info.mtimeMs}` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw error;
  }
}

/** Whether Accept-Encoding allows gzip (listed, and not with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...parameters] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
