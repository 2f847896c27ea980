import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerChangePassword } from './change-password.ts';
import { registerListSessions } from './list-sessions.ts';
import { registerRevokeSession } from './revoke-session.ts';

/** /v1/me: the signed-in person's own account (password, sessions). */
export function registerMeRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerChangePassword(app, deps);
  registerListSessions(app, deps);
  registerRevokeSession(app, deps);
}
