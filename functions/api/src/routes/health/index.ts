import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerHealth } from './get-health.ts';

/** GET /health: unauthenticated, for load balancers and supervisors. */
export function registerHealthRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerHealth(app, deps);
}
