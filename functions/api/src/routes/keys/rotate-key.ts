import { z } from '@hono/zod-openapi';
import { CreatedApiKeySchema, RotateApiKeyRequestSchema } from '@kontext/core';
import { requireScope, rotateApiKey } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requestOrigin } from '../../request-origin.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

const RotatedSchema = z
  .object({ key: CreatedApiKeySchema, old_key_expires_at: z.iso.datetime({ offset: true }) })
  .openapi('RotatedApiKey');

export function registerRotateKey(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'post',
    operationId: 'rotateKey',
    path: '/v1/keys/{id}/rotate',
    tags: ['API keys'],
    summary: 'Rotate an API key',
    description:
      'Issues a replacement with the same name, scopes and mode; the old key keeps working for the grace period ' +
      '(default 24 hours), then stops. Needs keys:write, and every scope of the key rotated (a test key rotates only test keys).',
    request: {
      params: IdParamsSchema,
      body: { required: false, content: { 'application/json': { schema: RotateApiKeyRequestSchema } } },
    },
    responses: {
      201: { description: 'The new key (plaintext shown once).', content: { 'application/json': { schema: RotatedSchema } } },
      404: problemResponseSpec('No such key for this tenant.'),
      409: problemResponseSpec('The key was already rotated or revoked.'),
      422: problemResponseSpec('A field is invalid.'),
    },
  });
  app.openapi(route, async (c) => {
    const auth = c.get('auth');
    requireScope(auth, 'keys:write');
    const body = c.req.valid('json') ?? {};
    const rotated = await rotateApiKey({
      ctx: deps.ctx,
      input: { tenantId: auth.tenantId, keyId: c.req.valid('param').id, graceSeconds: body.grace_seconds, issuer: auth, origin: requestOrigin(c) },
    });
    return c.json(rotated, 201);
  });
}
