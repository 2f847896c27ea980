import { CreateApiKeyRequestSchema, CreatedApiKeySchema } from '@kontext/core';
import { issueApiKey, requireScope } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requestOrigin } from '../../request-origin.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { linksById, problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerCreateKey(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'post',
    operationId: 'createKey',
    path: '/v1/keys',
    tags: ['API keys'],
    summary: 'Create an API key',
    description: 'The key is in the response once and never again. A key cannot grant scopes it lacks. Needs keys:write.',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: CreateApiKeyRequestSchema } } } },
    responses: {
      201: {
        description: 'The new key, with its plaintext.',
        content: { 'application/json': { schema: CreatedApiKeySchema } },
        links: linksById({ rotateKey: 'path.id', revokeKey: 'path.id' }),
      },
      422: problemResponseSpec('A field is invalid.'),
    },
  });
  app.openapi(route, async (c) => {
    const auth = c.get('auth');
    requireScope(auth, 'keys:write');
    const body = c.req.valid('json');
    const issued = await issueApiKey({
      ctx: deps.ctx,
      input: { tenantId: auth.tenantId, name: body.name, scopes: body.scopes, mode: body.mode, issuer: auth, origin: requestOrigin(c) },
    });
    return c.json(issued, 201);
  });
}
