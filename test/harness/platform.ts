import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiApp } from '@kontext/api';
import { loadLocalConfig, startLocalPlatform, type LocalPlatform } from '@kontext/local';
import type { Resolver } from '@kontext/net';
import { ALL_API_KEY_SCOPES, createLogger, createTenant, issueApiKey } from '@kontext/services';
import type { ApiKeyMode, ApiKeyScope, TenantLimits } from '@kontext/core';
import { ApiClient, type ApiFetch } from './api-client.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

// The whole platform for a test file, through the real one-machine composition root: its own
// database (cloned from the template), its own blob directory, the API on a free port, worker
// loops with the preview engine. Tests talk to it over HTTP: through the socket, or in process
// through the same app (`transport: 'in-process'`) where nothing under test needs a socket.

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
  apiKeyCacheTtlMs?: number;
  /** Webhook targets on loopback are how tests receive webhooks; on by default here. */
  allowPrivateWebhookTargets?: boolean;
  webhookRetryScheduleSeconds?: number[];
  webhookClaimSeconds?: number;
  /** 0: no dispatcher in the platform process (a test runs its own). */
  dispatcherConcurrency?: number;
  /**
   * Wrong operator tokens per address per window. Every test connects from 127.0.0.1 and many send
   * wrong tokens on purpose, so this is high unless a test is about the limit itself.
   */
  adminAuthFailureLimit?: number;
  /** Browser origins allowed by CORS (CORS_ORIGINS); none (CORS off) by default. */
  corsOrigins?: string[];
  /** The prompt upsampler (PROMPT_UPSAMPLER_* and ALLOW_PRIVATE_PROMPT_UPSAMPLER); none by default. */
  promptUpsampler?: {
    url: string;
    model: string;
    apiKey?: string;
    timeoutSeconds?: number;
    /** Off by default, as in production: a test server on loopback needs it on. */
    allowPrivateNetworks?: boolean;
  };
  /** People and the console: sign-up, sign-in limits, the mail server (SIGNUP, SIGNUP_CREDITS, SIGN_IN_*, SMTP_URL). */
  people?: {
    signup?: 'off' | 'open';
    signupCredits?: number;
    signInFailureLimit?: number;
    signInAddressFailureLimit?: number;
    /** Unset: mail goes to the platform's outbox directory ($DATA_DIR/outbox). */
    smtpUrl?: string;
  };
  /**
   * How `api`, `admin` and `client()` reach the API: over the socket (default), or in process
   * through `app.request`. In process there is no client address (it reads `unknown`) and no
   * Content-Length unless the client sets one; the server still listens for anything that needs it.
   */
  transport?: 'socket' | 'in-process';
}

export interface TenantWithKey {
  tenantId: string;
  key: string;
  keyId: string;
  api: ApiClient;
}

export interface TenantOptions {
  name?: string;
  credits?: number;
  limits?: Partial<TenantLimits>;
  mode?: ApiKeyMode;
  scopes?: ApiKeyScope[];
}

export interface TestPlatform extends LocalPlatform {
  database: TestDatabase;
  dataDir: string;
  blobDir: string;
  api: ApiClient;
  logs: string[];
  /** The operator API, with this platform's admin token. */
  admin: ApiClient;
  /** The API app itself, on this platform's service context, for requests in process. */
  app: ApiApp;
  /** A client for any credential, over this platform's transport. */
  client(key: string, credential?: 'key' | 'admin'): ApiClient;
  /** Another tenant with its own key (every scope unless given), for isolation, billing and limit tests. */
  createTenantWithKey(options?: TenantOptions): Promise<TenantWithKey>;
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
    API_KEY_CACHE_TTL_MS: String(options.apiKeyCacheTtlMs ?? 5000),
    ALLOW_PRIVATE_WEBHOOK_TARGETS: String(options.allowPrivateWebhookTargets ?? true),
    ...(options.webhookRetryScheduleSeconds ? { WEBHOOK_RETRY_SCHEDULE: options.webhookRetryScheduleSeconds.join(',') } : {}),
    WEBHOOK_CLAIM_SECONDS: String(options.webhookClaimSeconds ?? 60),
    DISPATCHER_CONCURRENCY: String(options.dispatcherConcurrency ?? 32),
    ADMIN_AUTH_FAILURE_LIMIT: String(options.adminAuthFailureLimit ?? 100_000),
    ...(options.corsOrigins ? { CORS_ORIGINS: options.corsOrigins.join(',') } : {}),
    ...(options.promptUpsampler ? promptUpsamplerEnvironment(options.promptUpsampler) : {}),
    ...peopleEnvironment(options.people ?? {}),
  });
  const release = async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  let platform: LocalPlatform;
  try {
    platform = await startLocalPlatform({
      config,
      log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
      ...(options.resolve ? { resolve: options.resolve } : {}),
    });
  } catch (error) {
    // A platform that did not start leaves nothing behind either.
    await release();
    throw error;
  }
  // The very app the platform's server serves, so an answer in process is the socket's answer.
  const app = platform.app;
  const inProcess: ApiFetch = (url, init) => app.request(url, init);
  const client = (key: string, credential: 'key' | 'admin' = 'key') =>
    new ApiClient(platform.url, key, credential, options.transport === 'in-process' ? { fetch: inProcess } : {});
  return {
    ...platform,
    database,
    dataDir,
    blobDir: join(dataDir, 'blobs'),
    api: client(platform.devApiKey),
    logs,
    admin: client(platform.adminToken, 'admin'),
    app,
    client,
    createTenantWithKey: async (tenantOptions = {}) => {
      const tenant = await createTenant({
        ctx: platform.ctx,
        input: {
          name: tenantOptions.name ?? 'Another tenant',
          credits: tenantOptions.credits ?? 10_000,
          ...(tenantOptions.limits ? { limits: tenantOptions.limits } : {}),
        },
      });
      const issued = await issueApiKey({
        ctx: platform.ctx,
        input: { tenantId: tenant.id, name: 'test', mode: tenantOptions.mode ?? 'live', scopes: tenantOptions.scopes ?? ALL_API_KEY_SCOPES },
      });
      return { tenantId: tenant.id, key: issued.key, keyId: issued.id, api: client(issued.key) };
    },
    stop: async () => {
      await platform.stop();
      await release();
    },
  };
}

function peopleEnvironment(people: NonNullable<TestPlatformOptions['people']>): Record<string, string> {
  return {
    ...(people.signup ? { SIGNUP: people.signup } : {}),
    ...(people.signupCredits !== undefined ? { SIGNUP_CREDITS: String(people.signupCredits) } : {}),
    // Every test signs in from 127.0.0.1, many with wrong passwords on purpose: high unless a test is about the limit.
    SIGN_IN_FAILURE_LIMIT: String(people.signInFailureLimit ?? 100_000),
    SIGN_IN_ADDRESS_FAILURE_LIMIT: String(people.signInAddressFailureLimit ?? 100_000),
    ...(people.smtpUrl ? { SMTP_URL: people.smtpUrl } : {}),
  };
}

function promptUpsamplerEnvironment(upsampler: NonNullable<TestPlatformOptions['promptUpsampler']>): Record<string, string> {
  return {
    PROMPT_UPSAMPLER_URL: upsampler.url,
    PROMPT_UPSAMPLER_MODEL: upsampler.model,
    ...(upsampler.apiKey ? { PROMPT_UPSAMPLER_API_KEY: upsampler.apiKey } : {}),
    ...(upsampler.timeoutSeconds !== undefined ? { PROMPT_UPSAMPLER_TIMEOUT_SECONDS: String(upsampler.timeoutSeconds) } : {}),
    ALLOW_PRIVATE_PROMPT_UPSAMPLER: String(upsampler.allowPrivateNetworks ?? false),
  };
}
