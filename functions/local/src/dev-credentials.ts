import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readOrCreateSecret } from './secret-file.ts';
import { randomBytes } from 'node:crypto';
import { newId } from '@kontext/core';
import { findOrInsertUser, insertMembership } from '@kontext/db';
import { ALL_API_KEY_SCOPES, authenticateApiKey, createTenant, hashPassword, issueApiKey, issueSignInLink, type ServiceContext } from '@kontext/services';

export const DEV_API_KEY_FILE = 'dev-api-key';
export const ADMIN_TOKEN_FILE = 'admin-token';
export const CONSOLE_SIGN_IN_URL_FILE = 'console-sign-in-url';
/** The local development tenant's owner in the console. */
export const DEV_OWNER_EMAIL = 'owner@kontext.localhost';
/** The local development tenant's opening balance: enough to build against without thinking about it. */
export const DEV_TENANT_CREDITS = 100_000;

/**
 * The local development tenant and its key, made through the same verbs the operator API uses.
 * The key is kept in $DATA_DIR/dev-api-key (mode 600) so a restart keeps it; if the file's key no
 * longer works (a different database), a new tenant and key are made.
 */
export async function ensureDevCredentials(ctx: ServiceContext, dataDir: string): Promise<{ key: string; tenantId: string; created: boolean }> {
  const file = join(dataDir, DEV_API_KEY_FILE);
  if (existsSync(file)) {
    const key = (await readFile(file, 'utf8')).trim();
    const principal = await authenticateApiKey({ ctx, input: { key } }).catch(() => undefined);
    if (principal) return { key, tenantId: principal.tenantId, created: false };
  }
  const tenant = await createTenant({ ctx, input: { name: 'Local development', credits: DEV_TENANT_CREDITS } });
  const issued = await issueApiKey({ ctx, input: { tenantId: tenant.id, name: 'dev', mode: 'live', scopes: ALL_API_KEY_SCOPES } });
  await writeFile(file, `${issued.key}\n`, { mode: 0o600 });
  return { key: issued.key, tenantId: tenant.id, created: true };
}

/**
 * The local tenant's owner in the console, and a fresh one-time sign-in link for them at each
 * start, kept in $DATA_DIR/console-sign-in-url (mode 600). The owner's password is random and
 * never shown: the link signs in, and Account in the console sets a password of one's own.
 */
export async function ensureDevOwner(ctx: ServiceContext, dataDir: string, tenantId: string): Promise<{ signInUrl: string; file: string }> {
  const { user } = await findOrInsertUser(ctx.db, {
    id: newId('user'),
    email: DEV_OWNER_EMAIL,
    name: 'Local owner',
    passwordHash: await hashPassword(randomBytes(24).toString('base64url')),
  });
  await insertMembership(ctx.db, { tenantId, userId: user.id, role: 'owner' });
  const link = await issueSignInLink({ ctx, input: { userId: user.id, tenantId } });
  const file = join(dataDir, CONSOLE_SIGN_IN_URL_FILE);
  await writeFile(file, `${link.url}\n`, { mode: 0o600 });
  return { signInUrl: link.url, file };
}

/** The local operator token, made once and kept in $DATA_DIR/admin-token (mode 600). */
export function ensureAdminToken(dataDir: string): Promise<string> {
  return readOrCreateSecret(join(dataDir, ADMIN_TOKEN_FILE), { prefix: 'kxadmin_' });
}
