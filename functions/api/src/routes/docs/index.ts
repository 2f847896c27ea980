import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerLandingPage } from './get-landing-page.ts';
import { registerDocs } from './serve-docs.ts';

/** /openapi.json, /docs (Swagger UI) and the landing page at /. */
export function registerDocsRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerDocs(app, deps);
  registerLandingPage(app, deps);
}
