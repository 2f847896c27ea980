import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type ApiApp } from '@kontext/api';
import { connectDatabase } from '@kontext/db';
import { PostgresQueue } from '@kontext/queue';
import { createServiceContext, type ServiceContext, type ServiceContextOptions } from '@kontext/services';
import { BlobUrlSigner, FilesystemBlobStore } from '@kontext/storage';
import postgres from 'postgres';
import { test as base } from 'vitest';
import { ApiClient } from './api-client.ts';
import { createTestDatabase } from './database.ts';
import { startTestPlatform, type TenantOptions, type TenantWithKey, type TestPlatformOptions } from './platform.ts';

// Per-test (and, where starting one costs seconds, per-file) resources that clean themselves up.
// A test names what it needs and gets it; nothing is shared between files, and nothing needs an
// afterAll. Use one test function per file (this one, or one extended from it): each keeps its
// own file-scoped resources. Override before extending: an extension copies the fixtures as
// they are at that moment.
//
//   test.override({ platformOptions: { workerLoops: 0 } });   // at the top of a file
//   test('…', async ({ platform, tenant }) => { … });
//
// File scope: `platformOptions`, `platform`, `sql`. Test scope: `tenantOptions`, `tenant`, `startApiProcess`.

/** A second API process: its own service context and blob directory, on a database of its own or another's. */
export interface ApiProcess {
  ctx: ServiceContext;
  app: ApiApp;
  databaseUrl: string;
  /** The process's own pool (for reading what it wrote). */
  sql: postgres.Sql;
  /** A client for a credential, calling this process's app in process. */
  client(key: string, credential?: 'key' | 'admin'): ApiClient;
}

export interface ApiProcessOptions {
  /** Run on this database (another platform's) instead of a fresh clone of the template. */
  databaseUrl?: string;
  /** Its settings; no admin token unless given, so no operator API. */
  settings?: Partial<ServiceContextOptions['settings']>;
}

export const test = base
  .extend('platformOptions', { scope: 'file' }, {} as TestPlatformOptions)
  /**
   * The one-machine platform for the file: its own database, blob directory and logs; requests in
   * process unless `platformOptions.transport` is 'socket'. Stopped after the file's last test.
   */
  .extend('platform', { scope: 'file' }, async ({ platformOptions }, { onCleanup }) => {
    const platform = await startTestPlatform({ transport: 'in-process', ...platformOptions });
    onCleanup(() => platform.stop());
    return platform;
  })
  /** A small SQL pool on the platform's database, closed after the file. */
  .extend('sql', { scope: 'file' }, async ({ platform }, { onCleanup }) => {
    const sql = postgres(platform.database.url, { max: 2, onnotice: () => {} });
    onCleanup(() => sql.end({ timeout: 5 }));
    return sql;
  })
  .extend('tenantOptions', {} as TenantOptions)
  /** A fresh tenant per test, with a key of every scope (unless `tenantOptions` says otherwise). */
  .extend('tenant', async ({ platform, tenantOptions }): Promise<TenantWithKey> => platform.createTenantWithKey(tenantOptions))
  /** Starts API processes built by hand (for what the platform is not configured as); each is closed after the test. */
  .extend('startApiProcess', async ({}, { onCleanup }) => {
    const closers: (() => Promise<void>)[] = [];
    onCleanup(async () => {
      for (const close of closers.reverse()) await close();
    });
    return async (options: ApiProcessOptions = {}): Promise<ApiProcess> => {
      const database = options.databaseUrl ? undefined : await createTestDatabase();
      if (database) closers.push(() => database.drop());
      const databaseUrl = options.databaseUrl ?? database!.url;
      const handle = connectDatabase(databaseUrl, { maxConnections: 2 });
      closers.push(() => handle.close());
      const queue = new PostgresQueue(handle.sql);
      closers.push(() => queue.close());
      const dir = await mkdtemp(join(tmpdir(), 'kontext-api-process-'));
      closers.push(() => rm(dir, { recursive: true, force: true }));
      const signer = new BlobUrlSigner(randomBytes(32).toString('base64url'), 'http://localhost');
      const ctx = createServiceContext({
        db: handle.db,
        queue,
        storage: new FilesystemBlobStore({ root: dir, signer }),
        settings: { publicBaseUrl: 'http://localhost', ...options.settings },
      });
      closers.push(() => ctx.jobEvents.close());
      const app = createApp({ ctx, maxBodyBytes: 1e6, version: 't' });
      return {
        ctx,
        app,
        databaseUrl,
        sql: handle.sql,
        client: (key, credential = 'key') => new ApiClient('http://localhost', key, credential, { fetch: (url, init) => app.request(url, init) }),
      };
    };
  });

export const it = test;
