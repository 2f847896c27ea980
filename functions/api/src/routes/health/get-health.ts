import { createRoute } from '@hono/zod-openapi';
import { HealthSchema } from '@kontext/core';
import { checkHealth } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';

export function registerHealth(app: ApiApp, deps: ApiDependencies): void {
  const route = createRoute({
    method: 'get',
    operationId: 'getHealth',
    path: '/health',
    tags: ['Operations'],
    summary: 'Health check',
    description: 'ok when the API can reach its database; 503 otherwise.',
    responses: {
      200: { description: 'Healthy.', content: { 'application/json': { schema: HealthSchema } } },
      503: { description: 'Degraded.', content: { 'application/json': { schema: HealthSchema } } },
    },
  });
  app.openapi(route, async (c) => {
    const report = await checkHealth({ ctx: deps.ctx, input: {} });
    const body = { ...report, version: deps.version };
    return report.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
  });
}
