import { SessionSchema, SwitchTenantRequestSchema } from '@kontext/core';
import { switchTenant } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { setSessionCookie } from '../../middleware/session-cookie.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { requestOrigin } from '../../request-origin.ts';
import { sessionRoute } from '../../route-kinds.ts';

export function registerSwitchTenant(app: ApiApp, deps: ApiDependencies): void {
  const route = sessionRoute(deps.ctx, {
    method: 'put',
    operationId: 'switchTenant',
    path: '/v1/session/tenant',
    summary: 'Switch to another tenant',
    description: 'Continues in another tenant the user belongs to, with a fresh session (new cookie and CSRF token); the old session ends.',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: SwitchTenantRequestSchema } } } },
    responses: {
      200: { description: 'The new session; the cookie is replaced.', content: { 'application/json': { schema: SessionSchema } } },
      404: problemResponseSpec('The user is not a member of that tenant.'),
    },
  });
  app.openapi(route, async (c) => {
    const started = await switchTenant({ ctx: deps.ctx, input: { session: c.get('session'), tenantId: c.req.valid('json').tenant_id, origin: requestOrigin(c) } });
    setSessionCookie(c, deps.ctx, started);
    return c.json(started.session, 200);
  });
}
