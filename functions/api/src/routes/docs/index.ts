import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerDocs } from './serve-docs.ts';

/** /openapi.json and /docs (Swagger UI). */
export function registerDocsRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerDocs(app, deps);
}
