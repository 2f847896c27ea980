import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ApiApp, ApiDependencies } from '../../env.ts';

// /openapi.json is generated from the route definitions; /docs is Swagger UI served from the
// swagger-ui-dist package on this server (no CDN), so the docs work on a machine with no internet.

const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
} as const;

/** The swagger-ui-dist package in node_modules (a bundled deployment ships the files beside itself). */
export function defaultSwaggerUiDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>FLUX.1 Kontext API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs-init.js"></script>
</body>
</html>`;

// Kept in its own file so a strict Content-Security-Policy (no inline scripts) can hold.
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs', deepLinking: true, persistAuthorization: true });`;

/**
 * The servers the document names, first the one "Try it out" in /docs calls. The configured public
 * URL, unless the document was fetched at another host (127.0.0.1 for a server that calls itself
 * localhost): then that address first, since the docs page's policy lets it call only its own origin.
 */
export function documentServers(requestUrl: string, publicBaseUrl: string | undefined): { url: string; description?: string }[] {
  const reached = new URL(requestUrl);
  if (!publicBaseUrl) return [];
  if (new URL(publicBaseUrl).host === reached.host) return [{ url: publicBaseUrl }];
  return [{ url: reached.origin, description: 'the address this document was read from' }, { url: publicBaseUrl }];
}

export function registerDocs(app: ApiApp, deps: ApiDependencies): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'x-key' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-kontext_session',
    description:
      "The console's session (`kontext_session` on plain-HTTP localhost), set by POST /v1/session. Writes made with it also need X-CSRF-Token and a same-origin request; a request with an API key ignores it.",
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator token from configuration (ADMIN_TOKEN); never an API key.',
  });
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'FLUX.1 Kontext API',
      version: deps.version,
      description:
        "Self-hostable image generation and editing with FLUX.1 Kontext. Wire-compatible with BFL's API: " +
        'existing clients work by changing only the base URL. Errors are RFC 9457 problem+json.',
    },
    servers: documentServers(c.req.url, deps.ctx.settings.publicBaseUrl),
  }));

  // Read on first request, not at start: 1.5 MB that a cold start (Lambda) should not pay for.
  const directory = deps.swaggerUiDirectory ?? defaultSwaggerUiDirectory();
  const assets = new Map<string, Promise<{ body: Buffer; type: string }>>();
  assets.set('docs-init.js', Promise.resolve({ body: Buffer.from(DOCS_INIT), type: 'text/javascript; charset=utf-8' }));
  const loadAsset = (name: string) => {
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name as keyof typeof ASSETS] : undefined;
    if (!type) return assets.get(name);
    let loading = assets.get(name);
    if (!loading) {
      loading = readFile(join(directory, name)).then((body) => ({ body, type }));
      // A failed read is not cached, so a transient error does not break the docs for good.
      loading.catch(() => assets.delete(name));
      assets.set(name, loading);
    }
    return loading;
  };

  app.get('/docs', (c) =>
    c.html(DOCS_PAGE, 200, {
      'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
    }),
  );
  app.get('/docs/assets/:name', async (c) => {
    const loading = loadAsset(c.req.param('name'));
    if (!loading) return c.notFound();
    const asset = await loading;
    return c.body(new Uint8Array(asset.body), 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' });
  });
}
