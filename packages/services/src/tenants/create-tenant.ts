import { CreateTenantRequestSchema, DEFAULT_TENANT_LIMITS, newId } from '@kontext/core';
import { insertTenant } from '@kontext/db';
import type { z } from 'zod';
import type { VerbArgs } from '../context.ts';
import { checkAllowedModels } from './check-allowed-models.ts';
import { presentTenant, type PublicTenant } from './present-tenant.ts';

/** Creates a tenant with its opening credits (ledgered) and limits (defaults where unset). */
export async function createTenant({ ctx, input }: VerbArgs<z.input<typeof CreateTenantRequestSchema>>): Promise<PublicTenant> {
  const request = CreateTenantRequestSchema.parse(input);
  const limits = { ...DEFAULT_TENANT_LIMITS, ...request.limits };
  checkAllowedModels(ctx.catalog, limits.allowed_models, 'limits.allowed_models');
  const row = await insertTenant(ctx.db, {
    id: newId('tenant'),
    name: request.name,
    initialCredits: request.credits ?? 0,
    maxActiveJobs: limits.max_active_jobs,
    requestsPerMinutePerKey: limits.requests_per_minute_per_key,
    allowedModels: limits.allowed_models,
    retentionDays: limits.retention_days,
  });
  return presentTenant(row);
}
