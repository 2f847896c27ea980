import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readOrCreateSecret } from './secret-file.ts';
import { ALL_API_KEY_SCOPES, authenticateApiKey, createTenant, issueApiKey, type ServiceContext } from '@kontext/services';

export const DEV_API_KEY_FILE = 'dev-api-key';
export const ADMIN_TOKEN_FILE = 'admin-token';
/** The local development tenant's opening balance: enough to build against without thinking about it. */
export const DEV_TENANT_CREDITS = 100_000;

/**
 * The local development tenant and its key, made through the same verbs the operator API uses.
 * The key is kept in $DATA_DIR/dev-api-key (mode 600) so a restart keeps it; if the file's key no
 * longer works (a different database), a new tenant and key are made.
 */
export async function ensureDevCredentials(ctx: ServiceContext, dataDir: string): Promise<{ key: string; created: boolean }> {
  const file = join(dataDir, DEV_API_KEY_FILE);
  if (existsSync(file)) {
    const key = (await readFile(file, 'utf8')).trim();
    const valid = await authenticateApiKey({ ctx, input: { key } }).then(
      () => true,
      () => false,
    );
    if (valid) return { key, created: false };
  }
  const tenant = await createTenant({ ctx, input: { name: 'Local development', credits: DEV_TENANT_CREDITS } });
  const issued = await issueApiKey({ ctx, input: { tenantId: tenant.id, name: 'dev', mode: 'live', scopes: ALL_API_KEY_SCOPES } });
  await writeFile(file, `${issued.key}\n`, { mode: 0o600 });
  return { key: issued.key, created: true };
}

/** The local operator token, made once and kept in $DATA_DIR/admin-token (mode 600). */
export function ensureAdminToken(dataDir: string): Promise<string> {
  return readOrCreateSecret(join(dataDir, ADMIN_TOKEN_FILE), { prefix: 'kxadmin_' });
}
