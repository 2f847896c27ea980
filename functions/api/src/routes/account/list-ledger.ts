import { LedgerPageSchema, LedgerQuerySchema } from '@kontext/core';
import { listLedger } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListLedger(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listLedger',
    path: '/v1/credits/ledger',
    tags: ['Account'],
    summary: 'The credit ledger',
    description: 'Every change to the available credits, newest first, each with the balance it left (the running balance). Needs credits:read.',
    request: { query: LedgerQuerySchema },
    responses: { 200: { description: 'A page of entries.', content: { 'application/json': { schema: LedgerPageSchema } } } },
  });
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    return c.json(await listLedger({ ctx: deps.ctx, input: { auth: c.get('auth'), jobId: query.job_id, kind: query.kind, cursor: query.cursor, limit: query.limit } }), 200);
  });
}
