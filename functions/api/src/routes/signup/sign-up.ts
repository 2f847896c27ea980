import { SessionSchema, SignUpRequestSchema } from '@kontext/core';
import { signUp } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { requireSessionSupport, setSessionCookie } from '../../middleware/session-cookie.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { signInRoute } from '../../route-kinds.ts';

/** Registered only where the operator opened sign-up (SIGNUP=open). */
export function registerSignUp(app: ApiApp, deps: ApiDependencies): void {
  const route = signInRoute(deps.ctx, {
    method: 'post',
    operationId: 'signUp',
    path: '/v1/signup',
    summary: 'Sign up: a new team you own',
    description: `Creates a tenant with the opening grant (SIGNUP_CREDITS: ${deps.ctx.settings.people.signupCredits} credits), you as its owner, and signs you in. At most 10 sign-ups per client address per 15 minutes.`,
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: SignUpRequestSchema } } } },
    responses: {
      201: { description: 'Signed up and signed in; the cookie is set.', content: { 'application/json': { schema: SessionSchema } } },
      409: problemResponseSpec('The email has an account already: sign in instead.'),
    },
  });
  app.openapi(route, async (c) => {
    requireSessionSupport(deps.ctx);
    const started = await signUp({ ctx: deps.ctx, input: { request: c.req.valid('json'), origin: requestOrigin(c) } });
    setSessionCookie(c, deps.ctx, started);
    return c.json(started.session, 201);
  });
}
