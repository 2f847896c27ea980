import { z } from 'zod';
import { API_KEY_MODES } from './api-key-format.ts';
import { OutputFormatSchema, PromptUpsamplingOutcomeSchema, ResultSchema, SubmitRequestSchema, UpsampledPromptSchema, orNull } from './contract.ts';
import { BflStatusSchema, JobStatusSchema } from './job-state.ts';
import { IsoTimeSchema } from './platform-contract.ts';
import type { ModelCatalog } from './catalog.ts';
import { integerParameter, text, timestampText } from './text.ts';

// Jobs, assets and lineage on the wire: every image the platform holds is an asset; every job
// consumed some assets (its lineage edges, with role and position) and produced at most one.


export const AssetSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['input', 'output']),
    format: z.enum(['png', 'jpeg', 'webp']),
    width: z.number().int(),
    height: z.number().int(),
    byte_size: z.number().int(),
    content_hash: z.string().describe('SHA-256 of the bytes, hex.'),
    producing_job_id: z.string().nullable(),
    engine: z.string().nullable(),
    created_at: IsoTimeSchema,
    last_used_at: IsoTimeSchema,
    expires_at: IsoTimeSchema.nullable().describe('When retention will delete it unless it is used again; null once deleted.'),
    deleted_at: IsoTimeSchema.nullable().describe('Set when retention deleted the image; the record stays so lineage stays whole.'),
    url: z.url().nullable().describe('A fresh signed URL (expires); null once deleted.'),
    thumbnail_url: z.url().nullable(),
  })
  .meta({ id: 'Asset' });

export const JobInputSchema = z
  .object({
    asset_id: z.string(),
    role: z.enum(['context', 'reference']).describe('context: the image edited; reference: a character or style reference.'),
    position: z.number().int().describe('0 for input_image, 1..3 for input_image_2..4.'),
    producing_job_id: z.string().nullable().describe('The job whose output this image is, if any.'),
    width: z.number().int(),
    height: z.number().int(),
    expired: z.boolean(),
  })
  .meta({ id: 'JobInput' });

export const JobRecordSchema = z
  .object({
    id: z.string(),
    status: JobStatusSchema,
    bfl_status: BflStatusSchema,
    mode: z.enum(API_KEY_MODES),
    model: z.string(),
    prompt: z.string(),
    seed: z.number().int(),
    aspect_ratio: z.string().nullable(),
    width: z.number().int(),
    height: z.number().int(),
    output_format: OutputFormatSchema,
    steps: z.number().int(),
    guidance: z.number(),
    safety_tolerance: z.number().int(),
    cost: z.number(),
    input_mp: z.number(),
    output_mp: z.number(),
    progress: z.number().nullable(),
    attempts: z.number().int(),
    engine: z.string().nullable(),
    error: z.string().nullable(),
    prompt_upsampling: PromptUpsamplingOutcomeSchema.optional().describe('Only when the submit asked for prompt_upsampling: what became of it.'),
    upsampled_prompt: UpsampledPromptSchema.optional(),
    inputs: z.array(JobInputSchema),
    output: z
      .object({ asset_id: z.string(), url: z.url().nullable(), thumbnail_url: z.url().nullable(), expired: z.boolean() })
      .nullable(),
    parent_job_id: z.string().nullable().describe('The job whose output this job edited.'),
    root_job_id: z.string().describe('The first job of this chain of edits.'),
    depth: z.number().int().describe('Edits between this job and its root (0 for a root).'),
    webhook_url: z.string().nullable(),
    created_at: IsoTimeSchema,
    started_at: IsoTimeSchema.nullable(),
    finished_at: IsoTimeSchema.nullable(),
    queue_ms: z.number().int().nullable(),
    engine_ms: z.number().int().nullable(),
  })
  .meta({ id: 'Job' });

export type JobRecord = z.infer<typeof JobRecordSchema>;

export const JobListSchema = z
  .object({ data: z.array(JobRecordSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'JobList' });

export const JobListQuerySchema = z.object({
  limit: integerParameter(1, 100).default(20),
  cursor: text({ max: 100 }).optional().describe('next_cursor of the previous page.'),
  status: JobStatusSchema.optional(),
  model: text({ max: 100 }).optional(),
  created_after: timestampText().optional(),
  created_before: timestampText().optional(),
  root: text({ max: 100 })
    .optional()
    .describe('Only jobs whose lineage root is this job id (every job reports its root_job_id); the root itself is included.'),
  api_key_id: text({ max: 100 })
    .optional()
    .describe("Only jobs submitted with this API key (its id, `key_…`, as GET /v1/keys lists it); a rotated key's successor is another key. An id of no key of this tenant matches nothing."),
});

interface LineageNode {
  id: string;
  parent_job_id: string | null;
  depth: number;
  prompt: string;
  status: z.infer<typeof JobStatusSchema>;
  bfl_status: z.infer<typeof BflStatusSchema>;
  model: string;
  created_at: string;
  output_asset_id: string | null;
  output_expired: boolean;
  thumbnail_url: string | null;
  references: { asset_id: string; position: number; producing_job_id: string | null }[];
  children: LineageNode[];
}

export const LineageNodeSchema: z.ZodType<LineageNode> = z
  .object({
    id: z.string(),
    parent_job_id: z.string().nullable(),
    depth: z.number().int(),
    prompt: z.string(),
    status: JobStatusSchema,
    bfl_status: BflStatusSchema,
    model: z.string(),
    created_at: IsoTimeSchema,
    output_asset_id: z.string().nullable(),
    output_expired: z.boolean(),
    thumbnail_url: z.url().nullable(),
    references: z.array(z.object({ asset_id: z.string(), position: z.number().int(), producing_job_id: z.string().nullable() })),
    get children() {
      return z.array(LineageNodeSchema);
    },
  })
  .meta({ id: 'LineageNode' });

export type LineageNodeRecord = LineageNode;

export const LineageResponseSchema = z
  .object({
    job_id: z.string(),
    root_job_id: z.string(),
    ancestors: z.array(LineageNodeSchema).describe('From the root down to the parent of job_id; their `children` are empty here.'),
    tree: LineageNodeSchema.describe('job_id with all its descendants.'),
  })
  .meta({ id: 'Lineage' });

export type LineageResponse = z.infer<typeof LineageResponseSchema>;

const { input_image: _editedImage, ...editableFields } = SubmitRequestSchema.shape;

export const EditRequestSchema = z
  .strictObject({
    ...editableFields,
    model: text({ max: 100 }).optional().describe("Another model for this edit; default the parent job's."),
  });

export type EditRequest = z.infer<typeof EditRequestSchema>;

/**
 * The edit body for this catalog: `model` is one of its profiles, and `steps` is bounded by the
 * largest profile limit (the edit's own model, often inherited from the parent job, decides the
 * exact one; more is a 422 naming it).
 */
export function editRequestSchemaFor(catalog: ModelCatalog) {
  const ids = catalog.map((profile) => profile.id) as [string, ...string[]];
  const maxSteps = Math.max(...catalog.map((profile) => profile.maxSteps));
  return EditRequestSchema.extend({
    model: z.enum(ids).optional().describe("Another model for this edit; default the parent job's."),
    steps: z
      .number()
      .int()
      .min(1)
      .max(maxSteps)
      .nullish()
      .describe("Sampling steps, at most the edit's model's max_steps (see /v1/models); default the parent job's."),
  }).meta({ id: 'EditRequest' });
}

/** The `data` of a live-status `status` event: the job's new status (and the error, when it failed). */
export const JobStatusEventDataSchema = z.object({
  job_id: z.string(),
  status: JobStatusSchema,
  bfl_status: BflStatusSchema,
  attempt: z.number().int(),
  error: z.string().optional(),
  result: orNull(ResultSchema)
    .optional()
    .describe('On the event of a finished job: the same `result` get_result answers (Ready: the sample URL), so a stream needs no extra poll.'),
  at: IsoTimeSchema,
});

/** The `data` of a live-status `progress` event: the share of sampling steps done. */
export const JobProgressEventDataSchema = z.object({
  job_id: z.string(),
  progress: z.number().min(0).max(1),
  at: IsoTimeSchema,
});

/** One Server-Sent Event of a job's live status, as the OpenAPI document describes each event. */
export const JobStreamEventSchema = z
  .union([streamEvent('status', JobStatusEventDataSchema), streamEvent('progress', JobProgressEventDataSchema)])
  .meta({ id: 'JobStreamEvent' });

function streamEvent(name: 'status' | 'progress', data: z.ZodType) {
  const { $schema: _dialect, $defs: _components, ...ownSchema } = z.toJSONSchema(data, { io: 'output' });
  // Schemas with an id (Result) are components of the OpenAPI document: point at those, not at $defs.
  const contentSchema = pointingAtComponents(ownSchema) as Record<string, unknown>;
  return z.object({
    event: z.literal(name),
    id: z.string().regex(/^[0-9]+$/).describe('Its place in the job\'s history; send it back as Last-Event-ID to resume after it.'),
    data: z.string().meta({ contentMediaType: 'application/json', contentSchema }),
  });
}

function pointingAtComponents(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(pointingAtComponents);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')
        ? [key, `#/components/schemas/${value.slice('#/$defs/'.length)}`]
        : [key, pointingAtComponents(value)],
    ),
  );
}
