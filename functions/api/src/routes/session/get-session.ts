import { SessionSchema } from '@kontext/core';
import { getSession } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { sessionRoute } from '../../route-kinds.ts';

export function registerGetSession(app: ApiApp, deps: ApiDependencies): void {
  const route = sessionRoute(deps.ctx, {
    method: 'get',
    operationId: 'getSession',
    path: '/v1/session',
    summary: 'The current console session',
    description: "Who is signed in, the tenant the session acts in and the role's scopes there, every tenant the user may switch to, and the CSRF token that writes made with the cookie must send as X-CSRF-Token.",
    responses: { 200: { description: 'The session.', content: { 'application/json': { schema: SessionSchema } } } },
  });
  app.openapi(route, async (c) => {
    c.header('cache-control', 'no-store');
    return c.json(await getSession({ ctx: deps.ctx, input: { session: c.get('session') } }), 200);
  });
}
