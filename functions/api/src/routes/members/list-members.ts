import { MemberListSchema } from '@kontext/core';
import { listMembers } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListMembers(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listMembers',
    path: '/v1/members',
    tags: ['Team'],
    summary: 'Members of the team',
    description: 'The people of this tenant and their roles, in the order they joined. Needs members:read.',
    responses: { 200: { description: 'The members.', content: { 'application/json': { schema: MemberListSchema } } } },
  });
  app.openapi(route, async (c) => c.json(await listMembers({ ctx: deps.ctx, input: { auth: c.get('auth') } }), 200));
}
