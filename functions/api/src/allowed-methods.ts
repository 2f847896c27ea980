import type { ApiApp } from './env.ts';

/**
 * The methods each registered path takes, for a request whose method matched no route: a path
 * that exists answers 405 with `Allow` (and OPTIONS 204 with `Allow`), as RFC 9110 asks, instead
 * of a 404 that says the resource is not there. HEAD comes with every GET (Hono answers it).
 * Returns undefined for a path no route has.
 */
export function allowedMethodsOf(app: ApiApp): (path: string) => string[] | undefined {
  let table: { pattern: RegExp; methods: string[] }[] | undefined;
  return (path) => {
    table ??= buildTable(app);
    return table.find((entry) => entry.pattern.test(path))?.methods;
  };
}

function buildTable(app: ApiApp): { pattern: RegExp; methods: string[] }[] {
  const byPath = new Map<string, Set<string>>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    const methods = byPath.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(`^${path.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : escapeRegExp(segment))).join('/')}$`),
    methods: [...methods, 'OPTIONS'],
  }));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
