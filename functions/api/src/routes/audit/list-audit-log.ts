import { AuditLogQuerySchema, AuditLogSchema } from '@kontext/core';
import { listAuditLog } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListAuditLog(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listAuditLog',
    path: '/v1/audit-log',
    tags: ['Team'],
    summary: 'The audit log',
    description: 'Sign-ins, key changes, member and invitation changes, newest first, each with who, when and from where. Needs audit:read (owners and admins).',
    request: { query: AuditLogQuerySchema },
    responses: { 200: { description: 'A page of entries.', content: { 'application/json': { schema: AuditLogSchema } } } },
  });
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    return c.json(await listAuditLog({ ctx: deps.ctx, input: { auth: c.get('auth'), action: query.action, cursor: query.cursor, limit: query.limit } }), 200);
  });
}
