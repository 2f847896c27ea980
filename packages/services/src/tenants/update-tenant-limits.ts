import { ProblemError, type TenantLimits } from '@kontext/core';
import { updateTenantLimits as updateLimitRow } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { checkAllowedModels } from './check-allowed-models.ts';
import { presentTenant, type PublicTenant } from './present-tenant.ts';

/** Changes a tenant's limits. Keys' cached limits catch up within the key cache TTL. */
export async function updateTenantLimits({
  ctx,
  input,
}: VerbArgs<{ tenantId: string; limits: Partial<TenantLimits> }>): Promise<PublicTenant> {
  const { limits } = input;
  checkAllowedModels(ctx.catalog, limits.allowed_models, 'limits.allowed_models');
  const row = await updateLimitRow(ctx.db, input.tenantId, {
    maxActiveJobs: limits.max_active_jobs,
    requestsPerMinutePerKey: limits.requests_per_minute_per_key,
    ...(limits.allowed_models !== undefined ? { allowedModels: limits.allowed_models } : {}),
    retentionDays: limits.retention_days,
  });
  if (!row) throw new ProblemError('not_found', `no tenant ${input.tenantId}`);
  return presentTenant(row);
}
