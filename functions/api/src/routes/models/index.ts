import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerListModels } from './list-models.ts';

/** /v1/models: the model catalog as this key sees it. */
export function registerModelRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerListModels(app, deps);
}
