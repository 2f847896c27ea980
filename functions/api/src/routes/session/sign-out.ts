import { signOut } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { clearSessionCookie } from '../../middleware/session-cookie.ts';
import { requestOrigin } from '../../request-origin.ts';
import { sessionRoute } from '../../route-kinds.ts';

export function registerSignOut(app: ApiApp, deps: ApiDependencies): void {
  const route = sessionRoute(deps.ctx, {
    method: 'delete',
    operationId: 'signOut',
    path: '/v1/session',
    summary: 'Sign out',
    description: 'Ends this session and clears its cookie.',
    responses: { 204: { description: 'Signed out.' } },
  });
  app.openapi(route, async (c) => {
    await signOut({ ctx: deps.ctx, input: { auth: c.get('auth'), origin: requestOrigin(c) } });
    clearSessionCookie(c, deps.ctx);
    return c.body(null, 204);
  });
}
