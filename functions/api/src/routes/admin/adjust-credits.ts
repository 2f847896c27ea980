import { CreditAdjustmentRequestSchema, CreditAdjustmentResponseSchema } from '@kontext/core';
import { adjustCredits } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { adminRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerAdjustCredits(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'post',
    operationId: 'adjustCredits',
    path: '/admin/v1/tenants/{id}/credits',
    summary: 'Grant or remove credits',
    description: 'Positive adds, negative removes; ledgered with the reason; never takes the balance below zero (409).',
    middleware: [requireJson],
    request: { params: IdParamsSchema, body: { required: true, content: { 'application/json': { schema: CreditAdjustmentRequestSchema } } } },
    responses: {
      200: { description: 'The new balance.', content: { 'application/json': { schema: CreditAdjustmentResponseSchema } } },
      409: problemResponseSpec('The debit would take the balance below zero, or a request with this Idempotency-Key is still running.'),
    },
  });
  app.openapi(route, async (c) => {
    const { amount, reason } = c.req.valid('json');
    return c.json(await adjustCredits({ ctx: deps.ctx, input: { tenantId: c.req.valid('param').id, amount, reason } }), 200);
  });
}
