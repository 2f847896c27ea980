import { createHash } from 'node:crypto';
import { IDEMPOTENCY_KEY_PATTERN, ProblemError } from '@kontext/core';
import {
  beginIdempotentRequest,
  completeIdempotentRequest,
  releaseIdempotentRequest,
  type IdempotencyBegin,
  type IdempotencyScope,
} from '@kontext/db';
import type { ServiceContext } from '../context.ts';

// Idempotency-Key with Stripe's semantics: per tenant and route, the first response is stored and
// replayed for 24 hours; the same key with other parameters is refused (422); while the first is
// still running, another is refused (409); a request refused before it started executing
// (validation, a conflict, the rate limit) stores nothing, so the key can be used again.

export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 3600;
/** A running request holds its key this long; if its process died, a retry may take it over after. */
const LOCK_SECONDS = 60;

/** Statuses that mean the request never started executing: nothing is stored for them. */
const NOT_EXECUTED = new Set([400, 409, 413, 415, 422, 429, 499]);

export function requestFingerprint(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method}\n${path}\n${body}`).digest('hex');
}

export async function beginIdempotency(ctx: ServiceContext, scope: IdempotencyScope, fingerprint: string): Promise<IdempotencyBegin> {
  if (scope.key.length > 255 || !IDEMPOTENCY_KEY_PATTERN.test(scope.key)) {
    throw new ProblemError('validation_failed', 'Idempotency-Key must be 1 to 255 printable ASCII characters', {
      issues: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }],
    });
  }
  const begun = await beginIdempotentRequest(ctx.db, scope, fingerprint, { lockSeconds: LOCK_SECONDS, retentionSeconds: IDEMPOTENCY_RETENTION_SECONDS });
  if (begun.outcome === 'mismatch') {
    throw new ProblemError('validation_failed', 'this Idempotency-Key was used with different parameters; use a new key for a new request', {
      issues: [{ field: 'Idempotency-Key', message: 'reused with different parameters' }],
    });
  }
  if (begun.outcome === 'in_progress') {
    throw new ProblemError('conflict', 'a request with this Idempotency-Key is still being processed; retry when it has finished');
  }
  return begun;
}

export async function finishIdempotency(
  ctx: ServiceContext,
  scope: IdempotencyScope,
  response: { status: number; body: string; headers: Record<string, string> },
): Promise<void> {
  if (NOT_EXECUTED.has(response.status)) await releaseIdempotentRequest(ctx.db, scope);
  else await completeIdempotentRequest(ctx.db, scope, response);
}
