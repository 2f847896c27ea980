import { SessionSchema, SignInWithLinkRequestSchema } from '@kontext/core';
import { signInWithLink } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { requireSessionSupport, setSessionCookie } from '../../middleware/session-cookie.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { signInRoute } from '../../route-kinds.ts';

export function registerSignInWithLink(app: ApiApp, deps: ApiDependencies): void {
  const route = signInRoute(deps.ctx, {
    method: 'post',
    operationId: 'signInWithLink',
    path: '/v1/session/link',
    summary: 'Sign in with a one-time link',
    description: "Redeems a one-time sign-in link's token (the operator's, or the one `npm start` writes for the local owner) and sets the session cookie. Each link works once.",
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: SignInWithLinkRequestSchema } } } },
    responses: {
      200: { description: 'Signed in; the cookie is set.', content: { 'application/json': { schema: SessionSchema } } },
      401: problemResponseSpec('The link was used already or has expired.'),
    },
  });
  app.openapi(route, async (c) => {
    requireSessionSupport(deps.ctx);
    const started = await signInWithLink({ ctx: deps.ctx, input: { token: c.req.valid('json').token, origin: requestOrigin(c) } });
    setSessionCookie(c, deps.ctx, started);
    return c.json(started.session, 200);
  });
}
