import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateDatabase } from '@kontext/db';
import { startEmbeddedPostgres } from '@kontext/local';
import type { TestProject } from 'vitest/node';
import { startMotoServer, startS3Server } from './aws-servers.ts';

// Starts one real PostgreSQL server for the run (on a free port, in a temporary directory),
// migrates a template database once, starts the AWS protocol servers (moto for SQS and Secrets
// Manager, s3rver for S3), and stops and deletes everything at the end.

export const TEMPLATE_DATABASE = 'kontext_template';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
    /** moto's server: SQS and Secrets Manager over their real wire protocols. */
    motoEndpoint: string;
    /** s3rver: S3 over its real wire protocol, presigned URL expiry included. */
    s3Endpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-test-'));
  // As root, Postgres runs as the "postgres" user, which must be able to enter this directory.
  await chmod(root, 0o711);
  const [moto, s3] = await Promise.all([startMotoServer(), startS3Server()]);
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    server = await startEmbeddedPostgres({
      directory: join(root, 'cluster'),
      database: TEMPLATE_DATABASE,
      ephemeral: true,
      // A throwaway cluster: durability off for speed, room for every test file's pools.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '500' },
    });
    await migrateDatabase(server.url);
  } catch (error) {
    await Promise.all([moto.stop(), s3.stop()]);
    throw error;
  }
  project.provide('postgresAdminUrl', server.adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('s3Endpoint', s3.endpoint);
  return async () => {
    await Promise.all([moto.stop(), s3.stop()]);
    await server.stop();
    await rm(root, { recursive: true, force: true });
  };
}
