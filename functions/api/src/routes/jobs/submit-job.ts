import { submitRequestSchemaFor, SubmitResponseSchema } from '@kontext/core';
import { submitJob } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { limitBody } from '../../middleware/limit-body.ts';
import { jsonOrMultipart, withMultipartForm } from '../../middleware/json-or-multipart.ts';
import { JOB_LINKS, SUBMIT_ERROR_RESPONSES } from '../../openapi-responses.ts';
import { answerSubmit, MAX_WAIT_SECONDS } from '../../prefer-wait.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { multipartLimitsOf } from './multipart-limits.ts';

// POST /v1/<model>: one route per catalog profile (BFL's names), so the OpenAPI document lists
// each model's endpoint and an unknown model is a plain 404.

export function registerSubmitJob(app: ApiApp, deps: ApiDependencies): void {
  for (const profile of deps.ctx.catalog) {
    const schema = submitRequestSchemaFor(profile);
    const route = withMultipartForm(
      tenantRoute(deps.ctx, {
        method: 'post',
        operationId: `submit-${profile.id}`,
        path: `/v1/${profile.id}`,
        tags: ['Generate and edit'],
        summary: `Submit a ${profile.displayName} job`,
        description:
          `${profile.description} Text-to-image without input_image; an edit with it; input_image_2..4 are ` +
          `character or style references. Poll polling_url for the result. Price: ${profile.priceCredits} credits per image, ` +
          `reserved on submit, charged on success, refunded otherwise. \`Prefer: wait=N\` (N <= ${MAX_WAIT_SECONDS}) holds the answer until the ` +
          'job finishes or N seconds pass, and adds its status and result. Needs the jobs:write scope.',
        middleware: [limitBody(deps.maxBodyBytes), jsonOrMultipart(schema, multipartLimitsOf(deps))],
        request: { body: { required: true, content: { 'application/json': { schema } } } },
        responses: {
          200: { description: 'The job was accepted.', content: { 'application/json': { schema: SubmitResponseSchema } }, links: JOB_LINKS },
          ...SUBMIT_ERROR_RESPONSES,
        },
      }),
      schema,
    );
    app.openapi(route, async (c) => {
      const auth = c.get('auth');
      const request = c.req.valid('json');
      const { response } = await submitJob({
        ctx: deps.ctx,
        input: { auth, modelId: profile.id, request, requestId: c.get('requestId'), signal: c.req.raw.signal },
      });
      return c.json(await answerSubmit(c, deps, auth, response), 200);
    });
  }
}
