import { SessionSchema, SignInRequestSchema } from '@kontext/core';
import { signIn } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { requireSessionSupport, setSessionCookie } from '../../middleware/session-cookie.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { signInRoute } from '../../route-kinds.ts';

export function registerSignIn(app: ApiApp, deps: ApiDependencies): void {
  const route = signInRoute(deps.ctx, {
    method: 'post',
    operationId: 'signIn',
    path: '/v1/session',
    summary: 'Sign in to the console',
    description:
      'Checks the email and password and sets the session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS). An unknown email and a wrong password get the same answer. ' +
      'Failed attempts count per account and per client address over 15 minutes (SIGN_IN_FAILURE_LIMIT, default 10; SIGN_IN_ADDRESS_FAILURE_LIMIT, default 100); past either, 429 until the window ends.',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: SignInRequestSchema } } } },
    responses: {
      200: { description: 'Signed in; the cookie is set.', content: { 'application/json': { schema: SessionSchema } } },
      401: problemResponseSpec('The email or the password is wrong.'),
      404: problemResponseSpec('tenant_id names a tenant the user is not a member of.'),
    },
  });
  app.openapi(route, async (c) => {
    requireSessionSupport(deps.ctx);
    const started = await signIn({ ctx: deps.ctx, input: { request: c.req.valid('json'), origin: requestOrigin(c) } });
    setSessionCookie(c, deps.ctx, started);
    return c.json(started.session, 200);
  });
}
