import { INPUT_IMAGE_FIELDS, ProblemError, type EditRequest, type SubmitRequest } from '@kontext/core';
import { findInputEdges } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { submitJob, type SubmitJobResult } from './submit-job.ts';
import { findOwnJob } from './find-own-job.ts';
import { openJobSecret } from '../webhooks/webhook-secrets.ts';

/**
 * Continues an edit: a new job whose image is the given job's output, inheriting its model,
 * aspect ratio, format, sampling settings, references and webhook unless the request overrides
 * them. Several edits of one job are branches of its lineage tree. It is admitted (or refused, the
 * rate allowance given back on a refusal by credits or active jobs) by `submitJob`, exactly like a submit.
 */
export async function continueEdit({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; jobId: string; request: EditRequest; requestId: string; signal?: AbortSignal }>): Promise<SubmitJobResult> {
  requireScope(input.auth, 'jobs:write');
  const parent = await findOwnJob(ctx, input.auth, input.jobId);
  if (parent.status !== 'succeeded' || !parent.outputAssetId) {
    throw new ProblemError('conflict', `job ${parent.id} has no output to edit (it is ${parent.status})`, {
      extensions: { job_status: parent.status },
    });
  }
  const { model, ...overrides } = input.request;
  const references = (await findInputEdges(ctx.db, [parent.id])).get(parent.id)?.filter((edge) => edge.role === 'reference') ?? [];
  const inherited: SubmitRequest = {
    prompt: overrides.prompt,
    aspect_ratio: parent.aspectRatio,
    output_format: parent.outputFormat,
    steps: parent.steps,
    guidance: parent.guidance,
    safety_tolerance: parent.safetyTolerance,
    webhook_url: parent.webhookUrl,
    webhook_secret: await openJobSecret(ctx, parent.id, parent.webhookSecret),
  };
  // Reference images carry over in their positions; a field sent as null drops that reference.
  for (const edge of references) {
    const field = INPUT_IMAGE_FIELDS[edge.position];
    if (field && field !== 'input_image') inherited[field] = edge.assetId;
  }
  const request: SubmitRequest = { ...inherited };
  for (const [field, value] of Object.entries(overrides)) {
    if (value !== undefined) (request as Record<string, unknown>)[field] = value;
  }
  request.input_image = parent.outputAssetId;
  return submitJob({
    ctx,
    input: {
      auth: input.auth,
      modelId: model ?? parent.model,
      request,
      requestId: input.requestId,
      ...(input.signal ? { signal: input.signal } : {}),
    },
  });
}
