import type { z } from 'zod';
import type { TenantSchema } from '@kontext/core';
import type { TenantRow } from '@kontext/db';

export type PublicTenant = z.infer<typeof TenantSchema>;

export function presentTenant(row: TenantRow): PublicTenant {
  return {
    id: row.id,
    name: row.name,
    created_at: row.createdAt.toISOString(),
    credits: { available: row.creditsAvailable, reserved: row.creditsReserved },
    active_jobs: row.activeJobs,
    limits: {
      max_active_jobs: row.maxActiveJobs,
      requests_per_minute_per_key: row.requestsPerMinutePerKey,
      allowed_models: row.allowedModels,
      retention_days: row.retentionDays,
    },
  };
}
