import { editRequestSchemaFor, SubmitResponseSchema } from '@kontext/core';
import { continueEdit } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { limitBody } from '../../middleware/limit-body.ts';
import { jsonOrMultipart, withMultipartForm } from '../../middleware/json-or-multipart.ts';
import { JOB_LINKS, problemResponseSpec, SUBMIT_ERROR_RESPONSES } from '../../openapi-responses.ts';
import { answerSubmit } from '../../prefer-wait.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';
import { multipartLimitsOf } from './multipart-limits.ts';

export function registerContinueEdit(app: ApiApp, deps: ApiDependencies): void {
  const schema = editRequestSchemaFor(deps.ctx.catalog);
  const route = withMultipartForm(
    tenantRoute(deps.ctx, {
      method: 'post',
      operationId: 'continueEdit',
      path: '/v1/jobs/{id}/edits',
      tags: ['Jobs and lineage'],
      summary: 'Continue an edit',
      description:
        "A new edit of this job's output, with no re-upload: it inherits the model, aspect ratio, format, sampling settings, " +
        'reference images and webhook unless the body overrides them (a reference field sent as null drops it). Editing one ' +
        'job several times makes branches. Answers like a submit. Needs jobs:write.',
      middleware: [limitBody(deps.maxBodyBytes), jsonOrMultipart(schema, multipartLimitsOf(deps))],
      request: { params: IdParamsSchema, body: { required: true, content: { 'application/json': { schema } } } },
      responses: {
        200: { description: 'The new job was accepted.', content: { 'application/json': { schema: SubmitResponseSchema } }, links: JOB_LINKS },
        404: problemResponseSpec('No such job for this tenant.'),
        409: problemResponseSpec('The job has no output to edit (not finished, or failed).'),
        ...SUBMIT_ERROR_RESPONSES,
      },
    }),
    schema,
  );
  app.openapi(route, async (c) => {
    const auth = c.get('auth');
    const jobId = c.req.valid('param').id;
    const request = c.req.valid('json');
    const { response } = await continueEdit({ ctx: deps.ctx, input: { auth, jobId, request, requestId: c.get('requestId'), signal: c.req.raw.signal } });
    return c.json(await answerSubmit(c, deps, auth, response), 200);
  });
}
