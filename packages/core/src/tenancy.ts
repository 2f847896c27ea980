import { z } from 'zod';
import { MODEL_ID_PATTERN, type ModelCatalog } from './catalog.ts';

// Tenants, their limits and what API keys may do.

export const API_KEY_SCOPES = [
  'jobs:write',
  'jobs:read',
  'usage:read',
  'credits:read',
  'webhooks:read',
  'webhooks:write',
  'keys:write',
  'members:read',
  'members:write',
  'audit:read',
] as const;
export const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScopeSchema>;

/** Scopes that manage who may do what: never on a key unless its creator asks for them. */
const ADMINISTRATIVE_SCOPES: readonly ApiKeyScope[] = ['keys:write', 'members:read', 'members:write', 'audit:read'];

/** What a new key gets unless the creator says otherwise: everything but managing keys, people and the audit log. */
export const DEFAULT_API_KEY_SCOPES: ApiKeyScope[] = API_KEY_SCOPES.filter((scope) => !ADMINISTRATIVE_SCOPES.includes(scope));

export const TenantLimitsSchema = z
  .strictObject({
    max_active_jobs: z.number().int().min(1).max(1_000_000).describe('Live jobs queued or running at once.'),
    requests_per_minute_per_key: z.number().int().min(1).max(1_000_000).describe('Requests per minute for each API key.'),
    allowed_models: z
      .array(z.string().regex(MODEL_ID_PATTERN))
      .min(1)
      .max(100)
      .nullable()
      .describe('Models this tenant may use; null allows every model in the catalog.'),
    retention_days: z.number().int().min(1).max(3650).describe('How long images and results are kept.'),
  })
  .meta({ id: 'TenantLimits' });

export type TenantLimits = z.infer<typeof TenantLimitsSchema>;

/** TenantLimitsSchema with `allowed_models` restricted to this catalog's profiles. */
export function tenantLimitsSchemaFor(catalog: ModelCatalog) {
  const ids = catalog.map((profile) => profile.id) as [string, ...string[]];
  return TenantLimitsSchema.extend({
    allowed_models: z
      .array(z.enum(ids))
      .min(1)
      .max(100)
      .nullable()
      .describe('Models this tenant may use, from the catalog; null allows every model in the catalog.'),
  }).meta({ id: 'TenantLimits' });
}

export const DEFAULT_TENANT_LIMITS: TenantLimits = {
  max_active_jobs: 24,
  requests_per_minute_per_key: 6000,
  allowed_models: null,
  retention_days: 30,
};

/** Largest single grant or debit an operator may make, to catch typos of a few extra zeros. */
export const MAX_CREDIT_ADJUSTMENT = 1_000_000_000;
