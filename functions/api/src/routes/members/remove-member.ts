import { removeMember } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { MemberParamsSchema } from './member-params.ts';

export function registerRemoveMember(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'delete',
    operationId: 'removeMember',
    path: '/v1/members/{user_id}',
    tags: ['Team'],
    summary: 'Remove a member (or leave)',
    description: "Their sessions in this tenant end at once. Needs members:write, except to remove yourself; only an owner can remove an owner; a team keeps at least one owner.",
    request: { params: MemberParamsSchema },
    responses: {
      204: { description: 'Removed.' },
      404: problemResponseSpec('No such member of this tenant.'),
      409: problemResponseSpec('It would leave the team without an owner.'),
    },
  });
  app.openapi(route, async (c) => {
    await removeMember({ ctx: deps.ctx, input: { auth: c.get('auth'), userId: c.req.valid('param').user_id, origin: requestOrigin(c) } });
    return c.body(null, 204);
  });
}
