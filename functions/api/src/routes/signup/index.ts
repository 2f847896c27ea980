import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerSignUp } from './sign-up.ts';

/** /v1/signup: only where the operator opened sign-up. */
export function registerSignUpRoutes(app: ApiApp, deps: ApiDependencies): void {
  if (deps.ctx.settings.people.signup === 'open') registerSignUp(app, deps);
}
