import { ApiKeySchema } from '@kontext/core';
import { requireScope, revokeApiKey } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requestOrigin } from '../../request-origin.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerRevokeKey(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'delete',
    operationId: 'revokeKey',
    path: '/v1/keys/{id}',
    tags: ['API keys'],
    summary: 'Revoke an API key',
    description:
      'Refused by this server at once and by every API server within 5 seconds (the bound on their key caches). ' +
      'Idempotent. Needs keys:write, and every scope of the key revoked (a test key revokes only test keys): no key can revoke one more powerful than itself.',
    request: { params: IdParamsSchema },
    responses: {
      200: { description: 'The key, now revoked.', content: { 'application/json': { schema: ApiKeySchema } } },
      404: problemResponseSpec('No such key for this tenant.'),
    },
  });
  app.openapi(route, async (c) => {
    const auth = c.get('auth');
    requireScope(auth, 'keys:write');
    return c.json(await revokeApiKey({ ctx: deps.ctx, input: { tenantId: auth.tenantId, keyId: c.req.valid('param').id, actor: auth, origin: requestOrigin(c) } }), 200);
  });
}
