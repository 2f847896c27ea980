import { randomInt } from 'node:crypto';
import {
  DEFAULT_OUTPUT_FORMAT,
  findProfile,
  INPUT_IMAGE_FIELDS,
  jobQueueName,
  megapixels,
  newId,
  outputSizeFor,
  POSTGRES_QUEUE_CHANNEL,
  PREVIEW_ENGINE_POOL,
  priceCredits,
  ProblemError,
  type FieldIssue,
  type InputImageField,
  type SubmitRequest,
  type SubmitResponse,
} from '@kontext/core';
import { insertSubmittedJob, type AdmissionOutcome, type AssetRow, type SubmittedInput } from '@kontext/db';
import { inputImageKey } from '@kontext/storage';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { inspectImage, type InspectedImage } from '../images/inspect-image.ts';
import { readImageField } from '../images/read-image-field.ts';
import { isImageReference, resolveImageReference } from '../images/resolve-image-reference.ts';
import { relayDispatch } from './relay-dispatch.ts';
import { refundRequest } from '../limits/check-rate-limit.ts';
import { isModelAllowed } from '../models/list-models.ts';
import { checkWebhookTarget } from '../webhooks/check-webhook-target.ts';
import { sealJobSecret } from '../webhooks/webhook-secrets.ts';

export interface SubmitJobInput {
  auth: AuthenticatedPrincipal;
  modelId: string;
  request: SubmitRequest;
  requestId: string;
  /** The request's signal: a submit whose client went away before admission writes nothing. */
  signal?: AbortSignal;
}

export interface SubmitJobResult {
  jobId: string;
  response: SubmitResponse;
}

const DEFAULT_SAFETY_TOLERANCE = 2;
/** Random seeds stay below 2^32 so every engine (numpy included) can take them. */
const RANDOM_SEED_BOUND = 2 ** 32;

/**
 * Submits an edit or generation: validates every input completely (nothing is written for a bad
 * request), then admits the job in one statement that also records its input assets (by content
 * hash), lineage edges and queue message (or, for an external queue, an outbox row relayed after
 * commit); the input blobs are stored inside that statement's transaction, once it has admitted
 * the job. A refused submit (credits, limits, any error) leaves no row and no blob; one refused by
 * credits or active jobs also gives back the rate allowance its request took.
 */
export async function submitJob({ ctx, input }: VerbArgs<SubmitJobInput>): Promise<SubmitJobResult> {
  const { request, auth } = input;
  const { publicBaseUrl } = ctx.settings;
  if (!publicBaseUrl) throw new ProblemError('internal', 'this process has no public base URL, so it cannot accept submits', { retryable: false });
  const profile = findProfile(ctx.catalog, input.modelId);
  if (!profile) throw new ProblemError('not_found', `unknown model ${input.modelId}`);
  requireScope(auth, 'jobs:write');
  // A job is billed and attributed to the API key that submitted it (usage per key, its rate).
  if (auth.credential !== 'api_key') throw new ProblemError('forbidden', 'jobs are submitted with an API key: create one under API keys in the console');
  if (!isModelAllowed(auth.allowedModels, profile.id)) {
    throw new ProblemError('forbidden', `${profile.id} is not enabled for this account; enabled: ${auth.allowedModels?.join(', ')}`);
  }

  const issues: FieldIssue[] = [];
  const provided = INPUT_IMAGE_FIELDS.flatMap((field) => {
    const value = request[field];
    return value == null ? [] : [{ field, value }];
  });
  if (provided.length > 0 && request.input_image == null) {
    issues.push({ field: provided[0]!.field, message: 'reference images need input_image (the image to edit) as well' });
  }
  for (const extra of provided.slice(profile.maxInputImages)) {
    issues.push({ field: extra.field, message: `${profile.id} accepts at most ${profile.maxInputImages} input image(s)` });
  }
  if (request.steps != null && request.steps > profile.maxSteps) {
    issues.push({ field: 'steps', message: `must be at most ${profile.maxSteps} for ${profile.id}` });
  }
  if (issues.length > 0) throw validation(issues);
  // The dispatcher would refuse a private target at every attempt; refuse it now, like a
  // registered endpoint, instead of accepting a webhook that can never be delivered.
  if (request.webhook_url) await checkWebhookTarget(ctx, request.webhook_url, 'webhook_url');

  // Fetch, decode and check every image before writing anything.
  const limits = { maxBytes: ctx.settings.maxInputImageBytes, maxPixels: ctx.settings.maxInputImagePixels };
  // Every image is an upload (base64 or URL) to fetch, check and decode, or a reference to an
  // image this account already has. All are checked before anything is written.
  type Checked =
    | { field: InputImageField; image: InspectedImage }
    | { field: InputImageField; reference: AssetRow }
    | { field: InputImageField; message: string };
  const checked: Checked[] = await Promise.all(
    provided.map(async ({ field, value }): Promise<Checked> => {
      if (isImageReference(value)) {
        const resolved = await resolveImageReference(ctx, auth.tenantId, value);
        return resolved.ok ? { field, reference: resolved.asset } : { field, message: resolved.message };
      }
      const read = await readImageField(value, { maxBytes: limits.maxBytes, fetchUrl: ctx.fetchUrlInput });
      if (!read.ok) return { field, message: read.message };
      const image = await inspectImage(read.bytes, limits);
      if (!image.ok) return { field, message: image.message };
      return { field, image };
    }),
  );
  const imageIssues: FieldIssue[] = [];
  // Each input keeps the position of its field (input_image_3 is position 2 even without
  // input_image_2), so continue-edit can hand every reference back in the field it came from.
  type Input = { position: number } & ({ kind: 'upload'; image: InspectedImage } | { kind: 'reference'; asset: AssetRow });
  const inputs: Input[] = [];
  for (const entry of checked) {
    const position = INPUT_IMAGE_FIELDS.indexOf(entry.field);
    if ('image' in entry) inputs.push({ position, kind: 'upload', image: entry.image });
    else if ('reference' in entry) inputs.push({ position, kind: 'reference', asset: entry.reference });
    else imageIssues.push({ field: entry.field, message: entry.message });
  }
  if (imageIssues.length > 0) {
    throw new ProblemError('invalid_input_image', imageIssues.map((i) => `${i.field} ${i.message}`).join('; '), { issues: imageIssues });
  }
  const dimensions = inputs.map((input) => (input.kind === 'upload' ? input.image : input.asset));

  const size = outputSizeFor({ aspectRatio: request.aspect_ratio ?? null, firstInput: dimensions[0] ?? null });
  const inputMegapixels = dimensions.reduce((sum, image) => sum + megapixels(image), 0);
  const outputMegapixels = megapixels(size);

  // References are used as they are; uploads become assets, once per tenant and content, in the
  // admission statement itself, so a refused submit records nothing.
  const submittedInputs: SubmittedInput[] = inputs.map((input) => {
    const role = input.position === 0 ? 'context' : 'reference';
    if (input.kind === 'reference') return { position: input.position, role, assetId: input.asset.id };
    const { image } = input;
    return {
      position: input.position,
      role,
      upload: {
        id: newId('asset'),
        contentHash: image.contentHash,
        byteSize: image.byteSize,
        width: image.width,
        height: image.height,
        format: image.format,
        storageKey: inputImageKey(auth.tenantId, image.contentHash, image.format),
      },
    };
  });
  const uploads = inputs.flatMap((input) => (input.kind === 'upload' ? [input.image] : []));

  const jobId = newId('job');
  const live = auth.mode === 'live';
  // Test-mode jobs run on the preview engine, whatever the model, and cost nothing.
  const enginePool = live ? profile.enginePool : PREVIEW_ENGINE_POOL;
  const price = live ? priceCredits(profile, outputMegapixels) : 0;
  const queue = jobQueueName(enginePool);
  const sameTransaction = ctx.queueInJobDatabase;
  // A client that went away gets no job: what is committed is what a client was told.
  throwIfAbandoned(input.signal);
  const admission = await insertSubmittedJob(
    ctx.db,
    {
      id: jobId,
      tenantId: auth.tenantId,
      apiKeyId: auth.id,
      mode: auth.mode,
      requestId: input.requestId,
      model: profile.id,
      enginePool,
      prompt: request.prompt,
      seed: request.seed ?? randomInt(0, RANDOM_SEED_BOUND),
      width: size.width,
      height: size.height,
      aspectRatio: request.aspect_ratio ?? null,
      outputFormat: request.output_format ?? DEFAULT_OUTPUT_FORMAT,
      steps: request.steps ?? profile.defaultSteps,
      guidance: request.guidance ?? profile.defaultGuidance,
      safetyTolerance: request.safety_tolerance ?? DEFAULT_SAFETY_TOLERANCE,
      costCredits: price,
      inputMegapixels,
      outputMegapixels,
      webhookUrl: request.webhook_url ?? null,
      webhookSecret: await sealJobSecret(ctx, jobId, request.webhook_secret),
      maxAttempts: ctx.settings.maxAttempts,
      // BFL clients send it in their own examples, so it is never refused. `unavailable` until a
      // worker with an upsampler starts the job and records what became of it (upsample-job-prompt.ts).
      promptUpsampling: request.prompt_upsampling ? 'unavailable' : null,
    },
    submittedInputs,
    { reserveCredits: price, holdsActiveSlot: live, modelActiveLimit: profile.maxActiveJobsPerTenant },
    sameTransaction ? { kind: 'enqueue', queue, channel: POSTGRES_QUEUE_CHANNEL } : { kind: 'outbox' },
    // Blobs are stored only once the job is admitted, inside its transaction: none for a refusal,
    // and none a worker could look for before it is there.
    uploads.length > 0
      ? {
          beforeCommit: async () => {
            await storeInputs(ctx, auth.tenantId, uploads);
            throwIfAbandoned(input.signal);
          },
        }
      : {},
  );
  if (!admission.admitted) {
    const problem = refusal(admission, profile.id);
    // The API took this request from the key's rate allowance before the submit ran; a refusal by
    // credits or active jobs gives it back, so one refusal never consumes two limits.
    if (problem.kind === 'insufficient_credits' || problem.kind === 'active_jobs_limit') await refundRequest({ ctx, input: { auth } });
    throw problem;
  }

  // After commit: the job is durable whether or not this send succeeds (the sweeper relays it).
  if (!sameTransaction) await relayDispatch({ ctx, input: { jobId, queue } });

  return {
    jobId,
    response: {
      id: jobId,
      polling_url: `${publicBaseUrl}/v1/get_result?id=${jobId}`,
      cost: price,
      input_mp: round(inputMegapixels, 4),
      output_mp: round(outputMegapixels, 4),
    },
  };
}

/**
 * Stores the uploads' blobs (content-addressed: one already there is not written again). If one
 * fails, the blobs this call wrote are deleted before the error rolls the admission back; no other
 * submit can have come to rely on them meanwhile, because the tenant row this transaction updated
 * stays locked until it ends.
 */
async function storeInputs(ctx: VerbArgs<unknown>['ctx'], tenantId: string, images: InspectedImage[]): Promise<void> {
  const distinct = [...new Map(images.map((image) => [image.contentHash, image])).values()];
  // Every put is let finish (or fail) before the outcome is decided, so none lands after a cleanup.
  const stored = await Promise.allSettled(
    distinct.map(async (image) => {
      const key = inputImageKey(tenantId, image.contentHash, image.format);
      if (await ctx.storage.head(key)) return undefined;
      await ctx.storage.put(key, image.bytes, { contentType: `image/${image.format}` });
      return key;
    }),
  );
  const failure = stored.find((outcome) => outcome.status === 'rejected');
  if (!failure) return;
  const written = stored.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value ? [outcome.value] : []));
  await Promise.allSettled(written.map((key) => ctx.storage.delete(key)));
  throw failure.reason;
}

/** Stops a submit whose client has gone away, before anything is committed. */
function throwIfAbandoned(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProblemError('abandoned', 'the client closed the request before the job was admitted; nothing was done');
}

/** The admission refusal as a problem naming the limit, with what the client needs to act. */
function refusal(outcome: Exclude<AdmissionOutcome, { admitted: true }>, model: string): ProblemError {
  switch (outcome.reason) {
    case 'insufficient_credits':
      return new ProblemError(
        'insufficient_credits',
        `this request costs ${outcome.price} credits and the balance is ${outcome.available}; add credits to continue`,
        { extensions: { balance: outcome.available, price: outcome.price } },
      );
    case 'active_jobs_limit':
      return new ProblemError(
        'active_jobs_limit',
        `this account already has ${outcome.active} active jobs, its limit (max_active_jobs = ${outcome.limit}); retry when one finishes`,
        { extensions: { limit: 'max_active_jobs', limit_value: outcome.limit, active: outcome.active } },
      );
    case 'model_active_jobs_limit':
      return new ProblemError(
        'active_jobs_limit',
        `this account already has ${outcome.active} active ${model} jobs, the model's limit of ${outcome.limit}; retry when one finishes`,
        { extensions: { limit: `max_active_jobs.${model}`, limit_value: outcome.limit, active: outcome.active } },
      );
    case 'tenant_not_found':
      return new ProblemError('unauthorized', 'the account of this API key no longer exists');
  }
}

function validation(issues: FieldIssue[]): ProblemError {
  return new ProblemError('validation_failed', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
