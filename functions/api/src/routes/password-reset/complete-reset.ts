import { CompletePasswordResetSchema } from '@kontext/core';
import { completePasswordReset } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { signInRoute } from '../../route-kinds.ts';

export function registerCompletePasswordReset(app: ApiApp, deps: ApiDependencies): void {
  const route = signInRoute(deps.ctx, {
    method: 'post',
    operationId: 'completePasswordReset',
    path: '/v1/password-reset/complete',
    summary: 'Set a new password from a reset link',
    description: 'Redeems the link (once) and sets the password; every session of the user ends. Then sign in.',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: CompletePasswordResetSchema } } } },
    responses: { 204: { description: 'The password is set.' }, 404: problemResponseSpec('No reset has this token: it was used already or has expired.') },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    await completePasswordReset({ ctx: deps.ctx, input: { token: body.token, password: body.password, origin: requestOrigin(c) } });
    return c.body(null, 204);
  });
}
