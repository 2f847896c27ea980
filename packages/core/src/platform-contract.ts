import { z } from 'zod';
import { API_KEY_MODES } from './api-key-format.ts';
import type { ModelCatalog } from './catalog.ts';
import { ApiKeyScopeSchema, MAX_CREDIT_ADJUSTMENT, TenantLimitsSchema, tenantLimitsSchemaFor } from './tenancy.ts';
import { timestampText, trimmedText } from './text.ts';

// The wire contract of what the platform adds to BFL's surface: credits, keys, usage and the
// operator API. Snake case on the wire, like BFL's fields.

/** An ISO 8601 timestamp with its offset, as every response writes times. */
export const IsoTimeSchema = z.iso.datetime({ offset: true });

export const CreditsResponseSchema = z
  .object({
    credits: z.number().describe('Credits available to spend (BFL-compatible).'),
    reserved: z.number().describe('Credits held by jobs that have not finished yet.'),
  })
  .meta({ id: 'Credits' });

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, for recognising it.'),
    last_four: z.string(),
    scopes: z.array(ApiKeyScopeSchema),
    mode: z.enum(API_KEY_MODES),
    status: z.enum(['active', 'retiring', 'revoked']).describe('retiring: rotated out, working until expires_at.'),
    created_at: IsoTimeSchema,
    last_used_at: IsoTimeSchema.nullable(),
    expires_at: IsoTimeSchema.nullable().describe('When the key stops (or stopped) working.'),
    replaced_by: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The key itself. Shown once: store it now.'),
}).meta({ id: 'CreatedApiKey' });

export const CreateApiKeyRequestSchema = z
  .strictObject({
    name: trimmedText({ max: 100 }).describe('Shown in key listings; surrounding blanks are removed.'),
    scopes: z.array(ApiKeyScopeSchema).min(1).max(20).optional().describe('Defaults to every scope but keys:write, members:read, members:write and audit:read.'),
    mode: z.enum(API_KEY_MODES).default('live').describe('test keys run on the preview engine and cost nothing.'),
  })
  .meta({ id: 'CreateApiKeyRequest' });

export const RotateApiKeyRequestSchema = z
  .strictObject({
    grace_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3600)
      .optional()
      .describe('How long the old key keeps working; default 24 hours.'),
  })
  .meta({ id: 'RotateApiKeyRequest' });

export const ApiKeyListSchema = z.object({ data: z.array(ApiKeySchema) }).meta({ id: 'ApiKeyList' });

export const TenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    created_at: IsoTimeSchema,
    credits: z.object({ available: z.number(), reserved: z.number() }),
    active_jobs: z.number().int(),
    limits: TenantLimitsSchema,
  })
  .meta({ id: 'Tenant' });

export const CreateTenantRequestSchema = z
  .strictObject({
    name: trimmedText({ max: 200 }),
    credits: z.number().int().min(0).max(MAX_CREDIT_ADJUSTMENT).optional().describe('Opening balance.'),
    limits: TenantLimitsSchema.partial().optional(),
  })
  .meta({ id: 'CreateTenantRequest' });

export const UpdateTenantRequestSchema = z
  .strictObject({ limits: TenantLimitsSchema.partial() })
  .meta({ id: 'UpdateTenantRequest' });

/** The operator's tenant bodies for this catalog: `allowed_models` names only its profiles. */
export function tenantRequestSchemasFor(catalog: ModelCatalog) {
  const limits = tenantLimitsSchemaFor(catalog).partial();
  return {
    create: CreateTenantRequestSchema.extend({ limits: limits.optional() }).meta({ id: 'CreateTenantRequest' }),
    update: UpdateTenantRequestSchema.extend({ limits }).meta({ id: 'UpdateTenantRequest' }),
  };
}

export const TenantListSchema = z
  .object({ data: z.array(TenantSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'TenantList' });

export const CreditAdjustmentRequestSchema = z
  .strictObject({
    amount: z
      .number()
      .int()
      .min(-MAX_CREDIT_ADJUSTMENT)
      .max(MAX_CREDIT_ADJUSTMENT)
      .refine((n) => n !== 0, { message: 'must not be zero' })
      .meta({ not: { const: 0 } })
      .describe('Credits to add (positive) or remove (negative), never zero; a debit that would take the balance below zero is refused with 409.'),
    reason: trimmedText({ max: 500 }),
  })
  .meta({ id: 'CreditAdjustmentRequest' });

export const CreditAdjustmentResponseSchema = z
  .object({ tenant_id: z.string(), credits: z.number(), reserved: z.number() })
  .meta({ id: 'CreditAdjustment' });

export const USAGE_GROUPINGS = ['model', 'key', 'status', 'mode', 'none'] as const;

export const UsageQuerySchema = z.object({
  from: timestampText().optional().describe('Start (inclusive); default 7 days before `to`. Must be before `to`.'),
  to: timestampText().optional().describe('End (exclusive); default now.'),
  granularity: z
    .enum(['hour', 'day'])
    .default('day')
    .describe('UTC buckets. The range, widened to whole buckets, may hold at most 744 hours or 400 days (422 beyond).'),
  group_by: z.enum(USAGE_GROUPINGS).default('none'),
  mode: z.enum(API_KEY_MODES).optional().describe('Only live or only test usage; default both.'),
});

const UsageFiguresSchema = z.object({
  jobs: z.number().int(),
  credits: z.number(),
  input_mp: z.number(),
  output_mp: z.number(),
  avg_queue_ms: z.number().nullable(),
  avg_engine_ms: z.number().nullable(),
  p50_ms: z.number().nullable().describe('Median submit-to-finish latency.'),
  p95_ms: z.number().nullable(),
});

export const UsageResponseSchema = z
  .object({
    granularity: z.enum(['hour', 'day']),
    from: IsoTimeSchema,
    to: IsoTimeSchema,
    group_by: z.enum(USAGE_GROUPINGS),
    buckets: z.array(
      z.object({
        start: IsoTimeSchema,
        totals: UsageFiguresSchema,
        groups: z.array(UsageFiguresSchema.extend({ key: z.string() })),
      }),
    ),
    totals: UsageFiguresSchema,
  })
  .meta({ id: 'Usage' });

export type UsageResponse = z.infer<typeof UsageResponseSchema>;
export type UsageFigures = z.infer<typeof UsageFiguresSchema>;
