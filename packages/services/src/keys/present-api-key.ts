import type { ApiKeySchema, ApiKeyScope } from '@kontext/core';
import type { ApiKeyRecord } from '@kontext/db';
import type { z } from 'zod';

export type PublicApiKey = z.infer<typeof ApiKeySchema>;

export function presentApiKey(record: ApiKeyRecord, now = Date.now()): PublicApiKey {
  const ends = record.revokedAt?.getTime();
  const status = ends === undefined ? 'active' : ends > now ? 'retiring' : 'revoked';
  return {
    id: record.id,
    name: record.name,
    prefix: record.displayPrefix,
    last_four: record.lastFour,
    scopes: record.scopes as ApiKeyScope[],
    mode: record.mode,
    status,
    created_at: record.createdAt.toISOString(),
    last_used_at: record.lastUsedAt?.toISOString() ?? null,
    expires_at: record.revokedAt?.toISOString() ?? null,
    replaced_by: record.replacedByKeyId,
  };
}
