import { CreditsResponseSchema } from '@kontext/core';
import { getCredits } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerGetCredits(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'getCredits',
    path: '/v1/credits',
    tags: ['Account'],
    summary: 'Credit balance',
    description: "BFL-compatible `credits` (available now) plus `reserved` (held by unfinished jobs). Needs credits:read.",
    responses: { 200: { description: 'The balance.', content: { 'application/json': { schema: CreditsResponseSchema } } } },
  });
  app.openapi(route, async (c) => c.json(await getCredits({ ctx: deps.ctx, input: { auth: c.get('auth') } }), 200));
}
