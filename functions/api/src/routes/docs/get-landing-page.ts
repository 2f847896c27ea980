import type { ApiApp, ApiDependencies } from '../../env.ts';

// GET /: what a person who opens the server's address in a browser sees. A static page: no user
// content, no script, no style, and a policy that allows nothing else.

const LANDING_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function landingPage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FLUX.1 Kontext API</title>
</head>
<body>
<main>
<h1>FLUX.1 Kontext API</h1>
<p>Image generation and editing with FLUX.1 Kontext, wire-compatible with BFL's API. Version ${version}.</p>
<ul>
<li><a href="/console">Console</a> (sign in to see usage, keys, jobs and your team)</li>
<li><a href="/docs">API documentation</a> (try requests with your key)</li>
<li><a href="/openapi.json">OpenAPI document</a></li>
<li><a href="/health">Health check</a></li>
</ul>
</main>
</body>
</html>
`;
}

export function registerLandingPage(app: ApiApp, deps: ApiDependencies): void {
  // The version is the platform's own constant, never request data, so the page is fixed text.
  const page = landingPage(deps.version.replace(/[^\w.+-]/g, ''));
  app.get('/', (c) => c.html(page, 200, { 'content-security-policy': LANDING_CSP }));
}
