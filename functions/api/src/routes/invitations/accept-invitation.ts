import { AcceptInvitationRequestSchema, SessionSchema } from '@kontext/core';
import { acceptInvitation } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { requireSessionSupport, setSessionCookie } from '../../middleware/session-cookie.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { signInRoute } from '../../route-kinds.ts';

export function registerAcceptInvitation(app: ApiApp, deps: ApiDependencies): void {
  const route = signInRoute(deps.ctx, {
    method: 'post',
    operationId: 'acceptInvitation',
    path: '/v1/invitations/accept',
    summary: 'Accept an invitation',
    description:
      "Joins the tenant with the invitation's role and signs in. A new address gets an account with the password given (at least 10 characters); an address with an account must give that account's password. Each link works once.",
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: AcceptInvitationRequestSchema } } } },
    responses: {
      200: { description: 'Joined and signed in; the cookie is set.', content: { 'application/json': { schema: SessionSchema } } },
      403: problemResponseSpec("A cross-site browser request; or the address has an account and the password is not that account's."),
      404: problemResponseSpec('No invitation has this token: it was used, withdrawn or has expired (a used token and an unknown one look alike: only hashes are kept).'),
    },
  });
  app.openapi(route, async (c) => {
    requireSessionSupport(deps.ctx);
    const body = c.req.valid('json');
    const started = await acceptInvitation({ ctx: deps.ctx, input: { token: body.token, password: body.password, name: body.name, origin: requestOrigin(c) } });
    setSessionCookie(c, deps.ctx, started);
    return c.json(started.session, 200);
  });
}
