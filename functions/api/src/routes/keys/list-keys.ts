import { ApiKeyListSchema } from '@kontext/core';
import { listApiKeys, requireScope } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListKeys(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listKeys',
    path: '/v1/keys',
    tags: ['API keys'],
    summary: "List this account's API keys",
    description: 'Name, prefix, last four characters, scopes, mode, status and times; never the keys themselves. Needs keys:write.',
    responses: { 200: { description: 'The keys, newest first.', content: { 'application/json': { schema: ApiKeyListSchema } } } },
  });
  app.openapi(route, async (c) => {
    const auth = c.get('auth');
    requireScope(auth, 'keys:write');
    return c.json(await listApiKeys({ ctx: deps.ctx, input: { tenantId: auth.tenantId } }), 200);
  });
}
