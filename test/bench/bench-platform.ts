import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalConfig, startEmbeddedPostgres, startLocalPlatform, type LocalPlatform } from '@kontext/local';
import { silentLogger } from '@kontext/services';
import postgres from 'postgres';
import { ApiClient } from '../harness/api-client.ts';

// The one-machine platform for a benchmark that seeds its own data: a throwaway embedded Postgres
// (under a world-traversable folder, since as root it runs as the postgres user), no worker loops,
// quiet logs, and one tenant with a key and no practical rate limit.

export interface BenchPlatform {
  platform: LocalPlatform;
  /** A small pool on the platform's database, for seeding. */
  sql: postgres.Sql;
  /** The operator API. */
  admin: ApiClient;
  tenant: { id: string };
  key: { id: string; key: string };
  stop(): Promise<void>;
}

export async function startBenchPlatform(name: string, scopes: string[]): Promise<BenchPlatform> {
  const root = await mkdtemp(join(tmpdir(), `kontext-bench-${name}-`));
  await chmod(root, 0o711);
  const database = await startEmbeddedPostgres({ directory: join(root, 'pg'), database: 'bench', ephemeral: true });
  const platform = await startLocalPlatform({
    config: loadLocalConfig({ DATABASE_URL: database.url, DATA_DIR: join(root, 'data'), PORT: '0', WORKER_LOOPS: '0', LOG_LEVEL: 'error' }),
    log: silentLogger,
  });
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const admin = new ApiClient(platform.url, platform.adminToken, 'admin');
  const tenant = (await admin.request<{ id: string }>('POST', '/admin/v1/tenants', {
    json: { name: `Bench ${name}`, credits: 1_000_000_000, limits: { requests_per_minute_per_key: 1_000_000 } },
  })).body;
  const key = (await admin.request<{ id: string; key: string }>('POST', `/admin/v1/tenants/${tenant.id}/keys`, { json: { name: 'bench', scopes } })).body;
  return {
    platform,
    sql,
    admin,
    tenant,
    key,
    stop: async () => {
      await sql.end();
      await platform.stop();
      await database.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
