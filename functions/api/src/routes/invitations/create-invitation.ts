import { CreatedInvitationSchema, CreateInvitationRequestSchema } from '@kontext/core';
import { inviteMember } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerCreateInvitation(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'post',
    operationId: 'createInvitation',
    path: '/v1/invitations',
    tags: ['Team'],
    summary: 'Invite someone',
    description:
      'Mails a single-use link (valid expires_in_hours, default 7 days) to join this tenant with the role. Inviting the same address again replaces the earlier link. Needs members:write; only an owner can invite an owner.',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: CreateInvitationRequestSchema } } } },
    responses: {
      201: { description: 'The invitation (its link is only in the email).', content: { 'application/json': { schema: CreatedInvitationSchema } } },
      409: problemResponseSpec('The address is a member already (change the role instead), or a request with this Idempotency-Key is still running.'),
    },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const auth = c.get('auth');
    const { accept_url: _link, ...invitation } = await inviteMember({
      ctx: deps.ctx,
      input: { tenantId: auth.tenantId, email: body.email, role: body.role, expiresInHours: body.expires_in_hours, auth, origin: requestOrigin(c) },
    });
    return c.json(invitation, 201);
  });
}
