import { and, eq, sql } from 'drizzle-orm';
import type { Database, Executor } from './client.ts';
import { idempotencyKeys } from './schema.ts';

export type IdempotencyBegin =
  | { outcome: 'acquired' }
  | { outcome: 'replay'; status: number; body: string; headers: Record<string, string> }
  | { outcome: 'mismatch' }
  | { outcome: 'in_progress' };

export interface IdempotencyScope {
  tenantId: string;
  route: string;
  key: string;
}

/** The row of a key whose request is still executing (completed keys are never changed). */
function runningKey(scope: IdempotencyScope) {
  return and(
    eq(idempotencyKeys.tenantId, scope.tenantId),
    eq(idempotencyKeys.route, scope.route),
    eq(idempotencyKeys.key, scope.key),
    eq(idempotencyKeys.state, 'running'),
  );
}

/**
 * Takes an idempotency key for a request, in one statement: a new key (or one past its 24 h, or
 * one whose holder died holding it with the same request) is acquired; otherwise the stored
 * outcome decides: replay, a different request under the same key, or one still running.
 */
export async function beginIdempotentRequest(
  exec: Executor,
  scope: IdempotencyScope,
  requestHash: string,
  options: { lockSeconds: number; retentionSeconds: number },
): Promise<IdempotencyBegin> {
  const [acquired] = await exec.execute<{ acquired: boolean }>(sql`
    INSERT INTO idempotency_keys AS k (tenant_id, route, key, request_hash, state, locked_until, expires_at)
    VALUES (${scope.tenantId}, ${scope.route}, ${scope.key}, ${requestHash}, 'running',
            now() + make_interval(secs => ${options.lockSeconds}), now() + make_interval(secs => ${options.retentionSeconds}))
    ON CONFLICT (tenant_id, route, key) DO UPDATE SET
      request_hash = EXCLUDED.request_hash, state = 'running', locked_until = EXCLUDED.locked_until,
      expires_at = EXCLUDED.expires_at, response_status = NULL, response_body = NULL, response_headers = NULL, created_at = now()
    WHERE k.expires_at < now() OR (k.state = 'running' AND k.locked_until < now() AND k.request_hash = EXCLUDED.request_hash)
    RETURNING true AS acquired`);
  if (acquired) return { outcome: 'acquired' };
  const [existing] = await exec
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.tenantId, scope.tenantId), eq(idempotencyKeys.route, scope.route), eq(idempotencyKeys.key, scope.key)));
  if (!existing) return beginIdempotentRequest(exec, scope, requestHash, options);
  if (existing.requestHash !== requestHash) return { outcome: 'mismatch' };
  if (existing.state === 'running' || existing.responseStatus === null) return { outcome: 'in_progress' };
  return { outcome: 'replay', status: existing.responseStatus, body: existing.responseBody ?? '', headers: existing.responseHeaders ?? {} };
}

export async function completeIdempotentRequest(
  db: Database,
  scope: IdempotencyScope,
  response: { status: number; body: string; headers: Record<string, string> },
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ state: 'done', responseStatus: response.status, responseBody: response.body, responseHeaders: response.headers })
    .where(runningKey(scope));
}

/** Forgets a key whose request never started executing (refused by validation), so it can be used again. */
export async function releaseIdempotentRequest(db: Database, scope: IdempotencyScope): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(runningKey(scope));
}

/** Drops keys past their 24 hours. */
export async function purgeExpiredIdempotencyKeys(exec: Executor, limit: number): Promise<number> {
  const rows = await exec.execute(sql`
    DELETE FROM idempotency_keys WHERE ctid IN (
      SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT ${limit})`);
  return rows.count;
}

