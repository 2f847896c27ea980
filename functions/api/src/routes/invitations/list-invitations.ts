import { InvitationListSchema } from '@kontext/core';
import { listInvitations } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListInvitations(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listInvitations',
    path: '/v1/invitations',
    tags: ['Team'],
    summary: 'Pending invitations',
    description: 'Invitations not yet accepted, withdrawn or expired. Needs members:read.',
    responses: { 200: { description: 'The invitations.', content: { 'application/json': { schema: InvitationListSchema } } } },
  });
  app.openapi(route, async (c) => c.json(await listInvitations({ ctx: deps.ctx, input: { auth: c.get('auth') } }), 200));
}
