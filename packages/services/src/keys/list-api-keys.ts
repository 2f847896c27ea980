import { listTenantApiKeys } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { presentApiKey, type PublicApiKey } from './present-api-key.ts';

const MAX_KEYS_LISTED = 1000;

export async function listApiKeys({ ctx, input }: VerbArgs<{ tenantId: string }>): Promise<{ data: PublicApiKey[] }> {
  const records = await listTenantApiKeys(ctx.db, input.tenantId, MAX_KEYS_LISTED);
  return { data: records.map((record) => presentApiKey(record)) };
}
