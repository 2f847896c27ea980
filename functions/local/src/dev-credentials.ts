import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { authenticateApiKey, createApiKey, createTenant, type ServiceContext } from '@kontext/services';

export const DEV_API_KEY_FILE = 'dev-api-key';

/**
 * The local development tenant and its key, made through the same verbs an operator uses. The
 * key is kept in $DATA_DIR/dev-api-key (mode 600) so a restart keeps it; if the file's key no
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
  const tenant = await createTenant({ ctx, input: { name: 'Local development' } });
  const { plaintext } = await createApiKey({ ctx, input: { tenantId: tenant.id, name: 'dev', mode: 'live' } });
  await writeFile(file, `${plaintext}\n`, { mode: 0o600 });
  return { key: plaintext, created: true };
}
