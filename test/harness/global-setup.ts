import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateDatabase } from '@kontext/db';
import { startEmbeddedPostgres } from '@kontext/local';
import type { TestProject } from 'vitest/node';

// Starts one real PostgreSQL server for the run (on a free port, in a temporary directory),
// migrates a template database once, and stops and deletes everything at the end.

export const TEMPLATE_DATABASE = 'kontext_template';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-test-'));
  // As root, Postgres runs as the "postgres" user, which must be able to enter this directory.
  await chmod(root, 0o711);
  const server = await startEmbeddedPostgres({
    directory: join(root, 'cluster'),
    database: TEMPLATE_DATABASE,
    ephemeral: true,
    // A throwaway cluster: durability off for speed, room for every test file's pools.
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '500' },
  });
  await migrateDatabase(server.url);
  project.provide('postgresAdminUrl', server.adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  return async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  };
}
