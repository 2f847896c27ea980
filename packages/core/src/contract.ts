import { z } from 'zod';
import { BflStatusSchema, JobStatusSchema } from './job-state.ts';
import { parseAspectRatio } from './sizes.ts';
import { httpUrl, text } from './text.ts';
import type { ModelProfile } from './catalog.ts';

// The wire contract. These schemas validate requests, type the code and generate /openapi.json.
// Field names follow BFL's API so existing clients work by changing only the base URL.

/**
 * A schema or null. For a schema with an id (a component of the OpenAPI document), `.nullable()`
 * loses the null in the generated document; a union keeps it.
 */
export function orNull<Schema extends z.ZodType>(schema: Schema) {
  return z.union([schema, z.null()]);
}

export const MAX_INPUT_IMAGES = 4;
/** The most sampling steps any profile may allow (ModelProfileSchema's bound). */
export const MAX_STEPS = 100;
export const INPUT_IMAGE_FIELDS = ['input_image', 'input_image_2', 'input_image_3', 'input_image_4'] as const;
export type InputImageField = (typeof INPUT_IMAGE_FIELDS)[number];

/** Longest prompt accepted; T5 reads 512 tokens, so anything near this is already truncated by the model. */
export const MAX_PROMPT_CHARS = 10_000;
/** Bound on one image field's text (base64 of a 20 MB file is ~27 MB); the body limit is the real cap. */
const MAX_IMAGE_FIELD_CHARS = 40_000_000;

export const OUTPUT_FORMATS = ['png', 'jpeg'] as const;
export const OutputFormatSchema = z.enum(OUTPUT_FORMATS);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;
/** PNG by default: lossless, so iterative edits do not accumulate compression artefacts. */
export const DEFAULT_OUTPUT_FORMAT: OutputFormat = 'png';

const imageField = (label: string) =>
  text({ min: 1, max: MAX_IMAGE_FIELD_CHARS })
    .nullish()
    .describe(
      `${label}: base64 (with or without a data: prefix) or an http(s) URL of a PNG, JPEG or WebP image (at most 20 MB and ` +
        '20 megapixels; the image must decode), or the id of an asset (`ast_…`) or job (`job_…`, its output) of this account.',
    );

/** `"W:H"` in whole numbers; the ratio itself is checked against ASPECT_RATIO_BOUNDS by parseAspectRatio. */
const ASPECT_RATIO_TEXT = /^[1-9][0-9]{0,3}:[1-9][0-9]{0,3}$/;

export const SubmitRequestSchema = z
  .strictObject({
    prompt: text({ max: MAX_PROMPT_CHARS, notBlank: true }).describe('What to generate, or how to edit the input image.'),
    input_image: imageField('The image to edit; omit for text-to-image'),
    input_image_2: imageField('Reference image 2 (character or style)'),
    input_image_3: imageField('Reference image 3'),
    input_image_4: imageField('Reference image 4'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .nullish()
      .describe('Same seed and inputs give the same image. Omitted or null: a random seed, reported in the result.'),
    aspect_ratio: text({ max: 9, pattern: { regex: ASPECT_RATIO_TEXT, message: 'must look like "W:H" with whole numbers from 1 to 9999, e.g. "16:9"' } })
      .superRefine((value, ctx) => {
        const parsed = parseAspectRatio(value);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
      })
      .nullish()
      .describe(
        '"W:H" whose ratio W/H lies between 9:21 and 21:9 (inclusive); a ratio outside is refused with 422. Default: the ' +
          "input image's ratio, else 1:1. Output is about 1 megapixel.",
      ),
    output_format: OutputFormatSchema.nullish().describe('png (default) or jpeg.'),
    webhook_url: httpUrl(2083)
      .nullish()
      .describe(
        'Called when the job finishes (delivered by the webhook dispatcher). Its host must resolve, and to a public address ' +
          'unless the operator allows private networks; otherwise 422.',
      ),
    webhook_secret: text({ min: 1, max: 256 }).nullish().describe('Secret used to sign webhook deliveries.'),
    prompt_upsampling: z
      .boolean()
      .nullish()
      .describe(
        'Ask for the prompt to be rewritten in more detail before it runs. Never refused. Where the operator configured a ' +
          'prompt upsampler (an OpenAI-compatible language model), the worker that starts the job asks it once for a more ' +
          'detailed prompt and the engine runs that: details.prompt_upsampling says "applied" and details.upsampled_prompt ' +
          'holds the text, while result.prompt stays the prompt as sent; a retry of the job reuses the same text. If the ' +
          'upsampler fails or does not answer in time, the job runs with the prompt as given and says "failed". Where there ' +
          'is no upsampler it runs with the prompt as given and says "unavailable" (as it does until a worker starts it).',
      ),
    safety_tolerance: z.number().int().min(0).max(6).nullish().describe('0 (strict) to 6 (permissive); default 2.'),
    steps: stepsField(MAX_STEPS),
    guidance: z.number().min(1).max(10).nullish().describe('Guidance scale; default from the model profile.'),
  })
  .meta({ id: 'SubmitRequest', allOf: referencesNeedTheEditedImage(MAX_INPUT_IMAGES) });

export type SubmitRequest = z.infer<typeof SubmitRequestSchema>;

/**
 * The body one model's submit route accepts: SubmitRequestSchema narrowed to the profile's step
 * limit and number of input images, so that route's OpenAPI document states the profile's rules.
 */
export function submitRequestSchemaFor(profile: Pick<ModelProfile, 'id' | 'maxSteps' | 'maxInputImages'>) {
  const beyondProfile: Partial<Record<InputImageField, true>> = Object.fromEntries(
    INPUT_IMAGE_FIELDS.slice(profile.maxInputImages).map((field) => [field, true]),
  );
  return SubmitRequestSchema.omit(beyondProfile)
    .extend({ steps: stepsField(profile.maxSteps) })
    .meta({ id: `SubmitRequest-${profile.id}`, allOf: referencesNeedTheEditedImage(profile.maxInputImages) });
}

function stepsField(max: number) {
  return z.number().int().min(1).max(max).nullish().describe(`Sampling steps, at most ${max}; default from the model profile.`);
}

/**
 * "A reference image needs input_image", in JSON Schema: if a reference field holds an image,
 * input_image must hold one too. Stated in the document so clients and fuzzers know the rule.
 */
export function referencesNeedTheEditedImage(maxInputImages: number): object[] {
  return INPUT_IMAGE_FIELDS.slice(1, maxInputImages).map((field) => ({
    if: { required: [field], properties: { [field]: { type: 'string' } } },
    then: { required: ['input_image'], properties: { input_image: { type: 'string' } } },
  }));
}

/** Fields some clients send that Kontext cannot honour, with the reason given back in the 422. */
export const UNSUPPORTED_FIELDS: Record<string, string> = {
  width: 'not supported by Kontext models; use aspect_ratio (the output is about 1 megapixel)',
  height: 'not supported by Kontext models; use aspect_ratio (the output is about 1 megapixel)',
  raw: 'raw mode is not supported by Kontext models',
  mask: 'masks are not supported: Kontext edits from the prompt alone',
  image_prompt: 'image_prompt is not supported; send reference images as input_image_2..input_image_4',
  image_prompt_strength: 'image_prompt is not supported; send reference images as input_image_2..input_image_4',
  interval: 'interval is not supported by Kontext models',
};

/** The message for a field the schema does not know, naming the limit when it is an extra image. */
export function unknownFieldMessage(field: string): string {
  if (/^input_image_\d+$/.test(field)) {
    return `at most ${MAX_INPUT_IMAGES} input images are supported (input_image, input_image_2 .. input_image_${MAX_INPUT_IMAGES}); this field would be dropped, so the request is refused`;
  }
  // Own properties only: a field named `constructor` or `__proto__` must not reach Object.prototype.
  return Object.hasOwn(UNSUPPORTED_FIELDS, field) ? (UNSUPPORTED_FIELDS[field] as string) : 'unknown field';
}

export const SubmitResponseSchema = z
  .object({
    id: z.string().describe('The job id.'),
    polling_url: z.url().describe('Absolute URL to poll for the result.'),
    cost: z.number().describe('Price of this request in credits (1 credit = $0.01).'),
    input_mp: z.number().describe('Megapixels of the input images, summed.'),
    output_mp: z.number().describe('Megapixels of the output image.'),
    status: BflStatusSchema.optional().describe('With `Prefer: wait`: the status when the wait ended.'),
    result: orNull(z.lazy(() => ResultSchema))
      .optional()
      .describe('With `Prefer: wait`: the result, if the job finished in time.'),
  })
  .meta({ id: 'SubmitResponse' });

export type SubmitResponse = z.infer<typeof SubmitResponseSchema>;

export const ResultSchema = z
  .object({
    sample: z
      .url()
      .nullable()
      .describe('Signed URL of the image; expires (default 10 minutes), poll again for a fresh one. Null once retention deleted the image.'),
    prompt: z.string(),
    seed: z.number().int(),
    start_time: z.number().describe('Unix seconds when a worker started the job.'),
    end_time: z.number().describe('Unix seconds when the job finished.'),
    duration: z.number().describe('Seconds from start to end.'),
  })
  .meta({ id: 'Result' });

/**
 * What became of a submit's `prompt_upsampling: true`: the prompt was rewritten (`applied`), no
 * upsampler has run it (`unavailable`: what a submit records, and what stays where no upsampler is
 * configured), or the upsampler failed, refused or did not answer in time (`failed`); in the last
 * two the job runs with the prompt as given. `applied` and `failed` are decided once per job.
 */
export const PROMPT_UPSAMPLING_OUTCOMES = ['applied', 'unavailable', 'failed'] as const;
export type PromptUpsamplingOutcome = (typeof PROMPT_UPSAMPLING_OUTCOMES)[number];
export const PromptUpsamplingOutcomeSchema = z.enum(PROMPT_UPSAMPLING_OUTCOMES);

/** The rewritten prompt, as a job shows it (its bounds are checked when the upsampler answers). */
export const UpsampledPromptSchema = z
  .string()
  .describe('When prompt_upsampling is "applied": the prompt the engine ran. result.prompt stays the prompt as sent.');

export const JobDetailsSchema = z
  .object({
    status: JobStatusSchema.describe('The platform\'s own job status.'),
    model: z.string(),
    engine: z.string().nullable().describe('The engine that produced (or is producing) the image.'),
    width: z.number().int(),
    height: z.number().int(),
    output_format: OutputFormatSchema,
    error: z.string().optional().describe('Why the job failed, when it did.'),
    reason: z.string().optional().describe('Machine-readable reason for an Error status (e.g. canceled).'),
    prompt_upsampling: PromptUpsamplingOutcomeSchema.optional().describe(
      'Only when the submit asked for prompt_upsampling: what became of it ("unavailable" until a worker starts the job).',
    ),
    upsampled_prompt: UpsampledPromptSchema.optional(),
  })
  .meta({ id: 'JobDetails' });

export const GetResultResponseSchema = z
  .object({
    id: z.string(),
    status: BflStatusSchema,
    result: orNull(ResultSchema),
    progress: z.number().min(0).max(1).nullable(),
    details: orNull(JobDetailsSchema),
  })
  .meta({ id: 'GetResultResponse' });

export type GetResultResponse = z.infer<typeof GetResultResponseSchema>;

export const PublicModelSchema = z
  .object({
    id: z.string(),
    display_name: z.string(),
    description: z.string(),
    weights: z.string(),
    default_steps: z.number().int(),
    max_steps: z.number().int(),
    default_guidance: z.number(),
    price_credits: z.number().int(),
    max_input_images: z.number().int(),
    submit_path: z.string(),
  })
  .meta({ id: 'Model' });

export const ModelListSchema = z.object({ data: z.array(PublicModelSchema) }).meta({ id: 'ModelList' });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('Human-readable explanation.'),
    message: z.string().describe("The same text as `detail`: BFL's own clients print this field."),
    instance: z.string().optional(),
    request_id: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof ProblemSchema>;

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    database: z.enum(['ok', 'unreachable']),
    version: z.string(),
  })
  .meta({ id: 'Health' });
