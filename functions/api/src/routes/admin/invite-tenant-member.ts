import { CreateInvitationRequestSchema, OperatorInvitationSchema } from '@kontext/core';
import { inviteMember } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { adminRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerInviteTenantMember(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'post',
    operationId: 'inviteTenantMember',
    path: '/admin/v1/tenants/{id}/invitations',
    summary: 'Invite someone to a tenant',
    description: "Mails a single-use link to join the tenant with the role (any role, owner included). The link is in the answer too, for when mail is not set up: hand it over privately.",
    middleware: [requireJson],
    request: { params: IdParamsSchema, body: { required: true, content: { 'application/json': { schema: CreateInvitationRequestSchema } } } },
    responses: {
      201: { description: 'The invitation and its link.', content: { 'application/json': { schema: OperatorInvitationSchema } } },
      409: problemResponseSpec('The address is a member already, or a request with this Idempotency-Key is still running.'),
    },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const invitation = await inviteMember({
      ctx: deps.ctx,
      input: { tenantId: c.req.valid('param').id, email: body.email, role: body.role, expiresInHours: body.expires_in_hours, origin: requestOrigin(c) },
    });
    return c.json(invitation, 201);
  });
}
