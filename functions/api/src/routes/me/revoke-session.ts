import { revokeUserSession } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { sessionRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerRevokeSession(app: ApiApp, deps: ApiDependencies): void {
  const route = sessionRoute(deps.ctx, {
    method: 'delete',
    operationId: 'revokeMySession',
    path: '/v1/me/sessions/{id}',
    summary: 'End one of your sessions',
    description: 'Signs out another device (or this one). Only your own sessions.',
    request: { params: IdParamsSchema },
    responses: { 204: { description: 'Ended.' }, 404: problemResponseSpec('You have no session with this id.') },
  });
  app.openapi(route, async (c) => {
    await revokeUserSession({ ctx: deps.ctx, input: { auth: c.get('auth'), sessionId: c.req.valid('param').id, origin: requestOrigin(c) } });
    return c.body(null, 204);
  });
}
