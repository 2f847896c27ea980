import { ChangePasswordRequestSchema, SessionSchema } from '@kontext/core';
import { changePassword } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { setSessionCookie } from '../../middleware/session-cookie.ts';
import { requestOrigin } from '../../request-origin.ts';
import { sessionRoute } from '../../route-kinds.ts';

export function registerChangePassword(app: ApiApp, deps: ApiDependencies): void {
  const route = sessionRoute(deps.ctx, {
    method: 'post',
    operationId: 'changePassword',
    path: '/v1/me/password',
    summary: 'Change your password',
    description: 'Needs the current password. Every session of the user ends (on every device); this one continues as a fresh session with a new cookie.',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: ChangePasswordRequestSchema } } } },
    responses: { 200: { description: 'Changed; the new session.', content: { 'application/json': { schema: SessionSchema } } } },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const started = await changePassword({
      ctx: deps.ctx,
      input: { session: c.get('session'), currentPassword: body.current_password, newPassword: body.new_password, origin: requestOrigin(c) },
    });
    setSessionCookie(c, deps.ctx, started);
    return c.json(started.session, 200);
  });
}
