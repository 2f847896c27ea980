import { CreditAdjustmentRequestSchema, CreditAdjustmentResponseSchema } from '@kontext/core';
import { adjustCredits } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { adminRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerAdjustCredits(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'post',
    path: '/admin/v1/tenants/{id}/credits',
    summary: 'Grant or remove credits',
    description: 'Positive adds, negative removes; ledgered with the reason; never takes the balance below zero (422).',
    middleware: [requireJson],
    request: { params: IdParamsSchema, body: { required: true, content: { 'application/json': { schema: CreditAdjustmentRequestSchema } } } },
    responses: { 200: { description: 'The new balance.', content: { 'application/json': { schema: CreditAdjustmentResponseSchema } } } },
  });
  app.openapi(route, async (c) => {
    const { amount, reason } = c.req.valid('json');
    return c.json(await adjustCredits({ ctx: deps.ctx, input: { tenantId: c.req.valid('param').id, amount, reason } }), 200);
  });
}
