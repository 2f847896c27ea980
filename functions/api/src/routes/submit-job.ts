import { createRoute } from '@hono/zod-openapi';
import { SubmitRequestSchema, SubmitResponseSchema } from '@kontext/core';
import { submitJob } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../env.ts';
import { limitBody } from '../middleware/limit-body.ts';
import { requireApiKey } from '../middleware/require-api-key.ts';
import { requireJson } from '../middleware/require-json.ts';
import { API_KEY_SECURITY, SUBMIT_ERROR_RESPONSES } from '../openapi-responses.ts';

// POST /v1/<model>: one route per catalog profile (BFL's names), so the OpenAPI document lists
// each model's endpoint and an unknown model is a plain 404.

export function registerSubmitJob(app: ApiApp, deps: ApiDependencies): void {
  for (const profile of deps.ctx.catalog) {
    const route = createRoute({
      method: 'post',
      path: `/v1/${profile.id}`,
      tags: ['Generate and edit'],
      summary: `Submit a ${profile.displayName} job`,
      description:
        `${profile.description} Text-to-image without input_image; an edit with it; input_image_2..4 are ` +
        `character or style references. Poll polling_url for the result. Price: ${profile.priceCredits} credits per image.`,
      security: API_KEY_SECURITY,
      middleware: [requireApiKey(deps.ctx), requireJson, limitBody(deps.maxBodyBytes)],
      request: { body: { required: true, content: { 'application/json': { schema: SubmitRequestSchema } } } },
      responses: {
        200: { description: 'The job was accepted.', content: { 'application/json': { schema: SubmitResponseSchema } } },
        ...SUBMIT_ERROR_RESPONSES,
      },
    });
    app.openapi(route, async (c) => {
      const { response } = await submitJob({
        ctx: deps.ctx,
        input: { auth: c.get('auth'), modelId: profile.id, request: c.req.valid('json'), requestId: c.get('requestId') },
      });
      return c.json(response, 200);
    });
  }
}
