import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerGetSession } from './get-session.ts';
import { registerSignIn } from './sign-in.ts';
import { registerSignInWithLink } from './sign-in-with-link.ts';
import { registerSignOut } from './sign-out.ts';
import { registerSwitchTenant } from './switch-tenant.ts';

/** /v1/session: signing in and out of the console, and the session itself. */
export function registerSessionRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerSignIn(app, deps);
  registerSignInWithLink(app, deps);
  registerGetSession(app, deps);
  registerSignOut(app, deps);
  registerSwitchTenant(app, deps);
}
