import { MemberSchema, UpdateMemberRequestSchema } from '@kontext/core';
import { changeMemberRole } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { MemberParamsSchema } from './member-params.ts';

export function registerUpdateMember(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'patch',
    operationId: 'updateMember',
    path: '/v1/members/{user_id}',
    tags: ['Team'],
    summary: "Change a member's role",
    description: 'Applies at once, to every session of the member. Needs members:write; only an owner can make an owner or change an owner; a team keeps at least one owner.',
    middleware: [requireJson],
    request: { params: MemberParamsSchema, body: { required: true, content: { 'application/json': { schema: UpdateMemberRequestSchema } } } },
    responses: {
      200: { description: 'The member with the new role.', content: { 'application/json': { schema: MemberSchema } } },
      404: problemResponseSpec('No such member of this tenant.'),
      409: problemResponseSpec('It would leave the team without an owner.'),
    },
  });
  app.openapi(route, async (c) => {
    const member = await changeMemberRole({
      ctx: deps.ctx,
      input: { auth: c.get('auth'), userId: c.req.valid('param').user_id, role: c.req.valid('json').role, origin: requestOrigin(c) },
    });
    return c.json(member, 200);
  });
}
