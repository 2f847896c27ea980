import { UsageQuerySchema, UsageResponseSchema } from '@kontext/core';
import { getUsage, requireScope } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerGetUsage(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'getUsage',
    path: '/v1/usage',
    tags: ['Account'],
    summary: 'Usage time series',
    description:
      'Jobs, credits, megapixels and p50/p95 latency per hour or day (UTC), optionally grouped by model, key, status or mode, ' +
      'from rollups kept current by the transaction that finishes each job. Needs usage:read.',
    request: { query: UsageQuerySchema },
    responses: {
      200: { description: 'The series.', content: { 'application/json': { schema: UsageResponseSchema } } },
      422: problemResponseSpec('A parameter is invalid or the range is too long for the granularity.'),
    },
  });
  app.openapi(route, async (c) => {
    const auth = c.get('auth');
    requireScope(auth, 'usage:read');
    const query = c.req.valid('query');
    const usage = await getUsage({
      ctx: deps.ctx,
      input: { tenantId: auth.tenantId, from: query.from, to: query.to, granularity: query.granularity, groupBy: query.group_by, mode: query.mode },
    });
    return c.json(usage, 200);
  });
}
