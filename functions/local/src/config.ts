import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ModelCatalogSchema, parseEnvironment, WebhookRetryScheduleSchema, type ModelCatalog } from '@kontext/core';
import { LogLevelSchema } from '@kontext/services';
import { z } from 'zod';

// Configuration of the one-machine platform (`npm start`), from the environment, validated once.

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const LocalConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('.data'),
  /** An external Postgres; when unset, an embedded server runs with its data under DATA_DIR. */
  DATABASE_URL: z.url().optional(),
  /** Base URL clients use; defaults to http://localhost:PORT. */
  PUBLIC_BASE_URL: z.url().optional(),
  WORKER_LOOPS: z.coerce.number().int().min(0).max(32).default(2),
  PREVIEW_STEP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  ALLOW_PRIVATE_URL_INPUTS: flag.default(true),
  /** Local development only: lets webhooks target loopback and private networks. */
  ALLOW_PRIVATE_WEBHOOK_TARGETS: flag.default(true),
  /** Comma-separated webhook retry delays in seconds; default the Standard Webhooks schedule. */
  WEBHOOK_RETRY_SCHEDULE: WebhookRetryScheduleSchema.optional(),
  WEBHOOK_CLAIM_SECONDS: z.coerce.number().positive().max(3600).default(60),
  DISPATCHER_CONCURRENCY: z.coerce.number().int().min(0).max(1000).default(32),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(512 * 1024 * 1024).default(30 * 1024 * 1024),
  SIGNED_URL_TTL_SECONDS: z.coerce.number().int().min(10).max(604_800).default(600),
  LEASE_SECONDS: z.coerce.number().positive().max(3600).default(30),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  QUEUE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(6 * 3600),
  DISPATCH_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(10),
  MODEL_CATALOG_FILE: z.string().min(1).optional(),
  /** Operator API token; when unset, one is generated and kept in $DATA_DIR/admin-token. */
  ADMIN_TOKEN: z.string().min(24).optional(),
  /** Wrong operator tokens one address may send in 15 minutes before it is refused until the window ends. */
  ADMIN_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(10),
  KEY_ROTATION_GRACE_SECONDS: z.coerce.number().int().min(0).max(30 * 24 * 3600).default(24 * 3600),
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  LOG_LEVEL: LogLevelSchema,
});

export type LocalEnvConfig = z.infer<typeof LocalConfigSchema>;

export interface LocalConfig extends LocalEnvConfig {
  dataDir: string;
  publicBaseUrl: string;
  catalog?: ModelCatalog;
}

export function loadLocalConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): LocalConfig {
  const config = parseEnvironment(LocalConfigSchema, env);
  let catalog: ModelCatalog | undefined;
  if (config.MODEL_CATALOG_FILE) {
    const file = resolve(cwd, config.MODEL_CATALOG_FILE);
    const result = ModelCatalogSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!result.success) throw new Error(`invalid model catalog in ${file}: ${result.error.message}`);
    catalog = result.data;
  }
  return {
    ...config,
    dataDir: resolve(cwd, config.DATA_DIR),
    publicBaseUrl: (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, ''),
    ...(catalog ? { catalog } : {}),
  };
}
