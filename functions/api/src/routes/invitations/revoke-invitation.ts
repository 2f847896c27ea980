import { revokeInvitation } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerRevokeInvitation(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'delete',
    operationId: 'revokeInvitation',
    path: '/v1/invitations/{id}',
    tags: ['Team'],
    summary: 'Withdraw an invitation',
    description: 'Its link stops working at once. Needs members:write.',
    request: { params: IdParamsSchema },
    responses: { 204: { description: 'Withdrawn.' }, 404: problemResponseSpec('No pending invitation with this id.') },
  });
  app.openapi(route, async (c) => {
    await revokeInvitation({ ctx: deps.ctx, input: { auth: c.get('auth'), id: c.req.valid('param').id, origin: requestOrigin(c) } });
    return c.body(null, 204);
  });
}
