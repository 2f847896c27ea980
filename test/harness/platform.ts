import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalConfig, startLocalPlatform, type LocalPlatform } from '@kontext/local';
import type { Resolver } from '@kontext/net';
import { createApiKey, createLogger, createTenant } from '@kontext/services';
import { ApiClient } from './api-client.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

// The whole platform for a test file, through the real one-machine composition root: its own
// database (cloned from the template), its own blob directory, the API on a free port, worker
// loops with the preview engine. Tests talk to it over HTTP.

export interface TestPlatformOptions {
  workerLoops?: number;
  stepDelayMs?: number;
  leaseSeconds?: number;
  maxAttempts?: number;
  allowPrivateUrlInputs?: boolean;
  signedUrlTtlSeconds?: number;
  maxBodyBytes?: number;
  queueTimeoutSeconds?: number;
  dispatchGraceSeconds?: number;
  resolve?: Resolver;
}

export interface TestPlatform extends LocalPlatform {
  database: TestDatabase;
  dataDir: string;
  blobDir: string;
  api: ApiClient;
  logs: string[];
  /** A second tenant with its own key, for isolation checks. */
  createTenantWithKey(name?: string): Promise<{ tenantId: string; key: string; api: ApiClient }>;
}

export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'kontext-platform-'));
  const logs: string[] = [];
  const config = loadLocalConfig({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    PORT: '0',
    WORKER_LOOPS: String(options.workerLoops ?? 2),
    PREVIEW_STEP_DELAY_MS: String(options.stepDelayMs ?? 0),
    LEASE_SECONDS: String(options.leaseSeconds ?? 30),
    MAX_ATTEMPTS: String(options.maxAttempts ?? 3),
    ALLOW_PRIVATE_URL_INPUTS: String(options.allowPrivateUrlInputs ?? false),
    SIGNED_URL_TTL_SECONDS: String(options.signedUrlTtlSeconds ?? 600),
    MAX_BODY_BYTES: String(options.maxBodyBytes ?? 30 * 1024 * 1024),
    QUEUE_TIMEOUT_SECONDS: String(options.queueTimeoutSeconds ?? 3600),
    DISPATCH_GRACE_SECONDS: String(options.dispatchGraceSeconds ?? 10),
  });
  const platform = await startLocalPlatform({
    config,
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  const api = new ApiClient(platform.url, platform.devApiKey);
  return {
    ...platform,
    database,
    dataDir,
    blobDir: join(dataDir, 'blobs'),
    api,
    logs,
    createTenantWithKey: async (name = 'Second tenant') => {
      const tenant = await createTenant({ ctx: platform.ctx, input: { name } });
      const { plaintext } = await createApiKey({ ctx: platform.ctx, input: { tenantId: tenant.id, name: 'test' } });
      return { tenantId: tenant.id, key: plaintext, api: new ApiClient(platform.url, plaintext) };
    },
    stop: async () => {
      await platform.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
