import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerCompletePasswordReset } from './complete-reset.ts';
import { registerRequestPasswordReset } from './request-reset.ts';

/** /v1/password-reset: forgotten passwords, by mailed link. */
export function registerPasswordResetRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerRequestPasswordReset(app, deps);
  registerCompletePasswordReset(app, deps);
}
