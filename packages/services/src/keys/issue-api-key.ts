import {
  API_KEY_SCOPES,
  apiKeyDisplayPrefix,
  DEFAULT_API_KEY_SCOPES,
  generateApiKey,
  newId,
  ProblemError,
  type ApiKeyMode,
  type ApiKeyScope,
} from '@kontext/core';
import { findTenant, insertApiKey, type Executor } from '@kontext/db';
import { actorOf, NO_ORIGIN, recordAudit, type RequestOrigin } from '../people/audit.ts';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';
import { hashApiKey } from '../auth/hash-api-key.ts';
import type { VerbArgs } from '../context.ts';
import { presentApiKey, type PublicApiKey } from './present-api-key.ts';

export interface IssueApiKeyInput {
  tenantId: string;
  name: string;
  scopes?: ApiKeyScope[] | undefined;
  mode: ApiKeyMode;
  /** The key asking, when a tenant manages its own keys; absent for the operator. */
  issuer?: AuthenticatedPrincipal;
  /** Where the request came from, for the audit log. */
  origin?: RequestOrigin;
}

export interface IssuedApiKey extends PublicApiKey {
  /** The only time the plaintext exists outside the caller's hands. */
  key: string;
}

/** Every scope: the operator's dev key and keys made before scopes existed. */
export const ALL_API_KEY_SCOPES: ApiKeyScope[] = [...API_KEY_SCOPES];

/**
 * Issues a key. A key issuing keys cannot hand out more than it has: no scope it lacks, and a
 * test key only issues test keys.
 */
export async function issueApiKey({ ctx, input }: VerbArgs<IssueApiKeyInput>, exec: Executor = ctx.db): Promise<IssuedApiKey> {
  const scopes = [...new Set(input.scopes ?? DEFAULT_API_KEY_SCOPES)];
  if (input.issuer) {
    const missing = scopes.filter((scope) => !input.issuer!.scopes.includes(scope));
    if (missing.length > 0) throw new ProblemError('forbidden', `this key cannot grant scopes it does not have: ${missing.join(', ')}`);
    if (input.issuer.mode === 'test' && input.mode !== 'test') throw new ProblemError('forbidden', 'a test key can only issue test keys');
  }
  if (!(await findTenant(exec, input.tenantId))) throw new ProblemError('not_found', `no tenant ${input.tenantId}`);
  const plaintext = generateApiKey(input.mode);
  const write = async (tx: Executor) => {
    const { keyHash: _hash, ...record } = await insertApiKey(tx, {
      id: newId('apiKey'),
      tenantId: input.tenantId,
      name: input.name,
      mode: input.mode,
      scopes,
      keyHash: hashApiKey(plaintext),
      displayPrefix: apiKeyDisplayPrefix(plaintext),
      lastFour: plaintext.slice(-4),
    });
    await recordAudit(tx, {
      tenantId: input.tenantId,
      action: 'key.created',
      actor: actorOf(input.issuer),
      target: record.id,
      details: { name: record.name, mode: record.mode, scopes: scopes.join(' ') },
      origin: input.origin ?? NO_ORIGIN,
    });
    return record;
  };
  // The key and its audit entry commit together: in the caller's transaction, or in one of its own.
  const record = exec === ctx.db ? await ctx.db.transaction(write) : await write(exec);
  return { ...presentApiKey(record), key: plaintext };
}
