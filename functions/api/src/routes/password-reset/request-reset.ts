import { RequestPasswordResetSchema } from '@kontext/core';
import { requestPasswordReset } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { requestOrigin } from '../../request-origin.ts';
import { signInRoute } from '../../route-kinds.ts';

export function registerRequestPasswordReset(app: ApiApp, deps: ApiDependencies): void {
  const route = signInRoute(deps.ctx, {
    method: 'post',
    operationId: 'requestPasswordReset',
    path: '/v1/password-reset',
    summary: 'Mail a password reset link',
    description:
      'Always 202, whether or not the address has an account. When it has, a link that works once for an hour is mailed to it; asking again voids the earlier link. ' +
      'At most 3 mails per address per 15 minutes (more requests answer 202 and mail nothing), and 20 requests per client address per 15 minutes (then 429).',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: RequestPasswordResetSchema } } } },
    responses: { 202: { description: 'Accepted.' } },
  });
  app.openapi(route, async (c) => {
    await requestPasswordReset({ ctx: deps.ctx, input: { email: c.req.valid('json').email, origin: requestOrigin(c) } });
    return c.body(null, 202);
  });
}
