import { UserSessionListSchema } from '@kontext/core';
import { listUserSessions } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { sessionRoute } from '../../route-kinds.ts';

export function registerListSessions(app: ApiApp, deps: ApiDependencies): void {
  const route = sessionRoute(deps.ctx, {
    method: 'get',
    operationId: 'listMySessions',
    path: '/v1/me/sessions',
    summary: 'Your sessions',
    description: 'Every live session of the signed-in user, on any device and in any tenant, most recently used first.',
    responses: { 200: { description: 'The sessions.', content: { 'application/json': { schema: UserSessionListSchema } } } },
  });
  app.openapi(route, async (c) => c.json(await listUserSessions({ ctx: deps.ctx, input: { auth: c.get('auth') } }), 200));
}
