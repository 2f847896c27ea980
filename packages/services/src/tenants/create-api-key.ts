import { API_KEY_MODES, apiKeyDisplayPrefix, generateApiKey, newId, ProblemError } from '@kontext/core';
import { findTenant, insertApiKey, type ApiKeyRow } from '@kontext/db';
import { z } from 'zod';
import type { VerbArgs } from '../context.ts';
import { hashApiKey } from '../auth/hash-api-key.ts';

export const CreateApiKeyInputSchema = z.object({
  tenantId: z.string(),
  name: z.string().trim().min(1).max(200),
  mode: z.enum(API_KEY_MODES).default('live'),
});

export interface CreatedApiKey {
  record: Omit<ApiKeyRow, 'keyHash'>;
  /** The only time the plaintext exists outside the caller's hands. */
  plaintext: string;
}

export async function createApiKey({ ctx, input }: VerbArgs<z.input<typeof CreateApiKeyInputSchema>>): Promise<CreatedApiKey> {
  const { tenantId, name, mode } = CreateApiKeyInputSchema.parse(input);
  if (!(await findTenant(ctx.db, tenantId))) throw new ProblemError('not_found', `tenant ${tenantId} does not exist`);
  const plaintext = generateApiKey(mode);
  const { keyHash: _hash, ...record } = await insertApiKey(ctx.db, {
    id: newId('apiKey'),
    tenantId,
    name,
    mode,
    keyHash: hashApiKey(plaintext),
    displayPrefix: apiKeyDisplayPrefix(plaintext),
    lastFour: plaintext.slice(-4),
  });
  return { record, plaintext };
}
