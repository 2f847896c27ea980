import { defineProcess, type SettingsRule } from './composition.ts';
import type { SettingsOf } from './setting.ts';
import {
  ADMIN_AUTH_FAILURE_LIMIT,
  ALLOW_INSECURE_SESSION_COOKIES,
  MAIL_FROM,
  SESSION_IDLE_HOURS,
  SESSION_MAX_DAYS,
  SIGN_IN_ADDRESS_FAILURE_LIMIT,
  SIGN_IN_FAILURE_LIMIT,
  SIGNUP,
  SIGNUP_CREDITS,
  SMTP_URL,
  ADMIN_TOKEN,
  ADMIN_TOKEN_SECRET_ARN,
  ORIGIN_VERIFY_SECRET_ARN,
  SMTP_URL_SECRET_ARN,
  ALLOW_PRIVATE_PROMPT_UPSAMPLER,
  ALLOW_PRIVATE_URL_INPUTS,
  ALLOW_PRIVATE_WEBHOOK_TARGETS,
  API_KEY_CACHE_TTL_MS,
  AWS_ENDPOINT_URL_KMS,
  AWS_ENDPOINT_URL_S3,
  AWS_ENDPOINT_URL_SECRETS_MANAGER,
  AWS_ENDPOINT_URL_SQS,
  AWS_REGION,
  BACKEND,
  BUCKET_KEY_PREFIX,
  BUCKET_NAME,
  DATA_DIR,
  DATABASE_HOST,
  DATABASE_MAX_CONNECTIONS,
  DATABASE_NAME,
  DATABASE_PASSWORD,
  DATABASE_PORT,
  DATABASE_SECRET_ARN,
  DATABASE_SSL,
  DATABASE_URL,
  DATABASE_USERNAME,
  DISPATCH_GRACE_SECONDS,
  DISPATCHER_CONCURRENCY,
  DRAIN_SECONDS,
  ENGINE,
  ENGINE_LOAD_TIMEOUT_SECONDS,
  ENGINE_POOL,
  HEALTH_PORT,
  HOST,
  KEY_ROTATION_GRACE_SECONDS,
  KONTEXT_ADMIN_TOKEN,
  KONTEXT_API_URL,
  KONTEXT_MODEL_DIR,
  KONTEXT_PYTHON,
  LAMBDA_MAX_BODY_BYTES,
  LEASE_SECONDS,
  LOCAL_ADMIN_TOKEN,
  LOCAL_ALLOW_PRIVATE_URL_INPUTS,
  LOCAL_ALLOW_PRIVATE_WEBHOOK_TARGETS,
  LOG_LEVEL,
  MAX_ATTEMPTS,
  MAX_BODY_BYTES,
  CORS_ORIGINS,
  MODEL_CATALOG_FILE,
  MODEL_DIR,
  MODEL_WEIGHTS_S3_URI,
  PLATFORM_VERSION,
  PORT,
  PREVIEW_STEP_DELAY_MS,
  PROMPT_UPSAMPLER_API_KEY,
  PROMPT_UPSAMPLER_MODEL,
  PROMPT_UPSAMPLER_TIMEOUT_SECONDS,
  PROMPT_UPSAMPLER_URL,
  PUBLIC_BASE_URL,
  QUEUE_NAME_PREFIX,
  QUEUE_TIMEOUT_SECONDS,
  S3_FORCE_PATH_STYLE,
  SECRET_KEYS_DIR,
  SECRETS_KMS_KEY_ID,
  SIGNED_URL_TTL_SECONDS,
  STANDALONE_DISPATCHER_CONCURRENCY,
  STORAGE_DIR,
  TIME_BUDGET_SECONDS,
  URL_SIGNING_SECRET,
  WEBHOOK_CLAIM_SECONDS,
  WEBHOOK_RETRY_SCHEDULE,
  WORKER_LOOPS,
  WORKER_PROCESS_LOOPS,
} from './variables/index.ts';

// Which variables each process reads: its composition of the declarations. A process's entry
// point reads exactly this list, so the README's "read by" column comes from here too.

/** The prompt upsampler: read wherever worker loops run, since a worker calls it before the engine. */
const PROMPT_UPSAMPLER_SETTINGS = [
  PROMPT_UPSAMPLER_URL,
  PROMPT_UPSAMPLER_MODEL,
  PROMPT_UPSAMPLER_API_KEY,
  PROMPT_UPSAMPLER_TIMEOUT_SECONDS,
  ALLOW_PRIVATE_PROMPT_UPSAMPLER,
] as const;

type PromptUpsamplerSettings = SettingsOf<typeof PROMPT_UPSAMPLER_SETTINGS>;

/** Half an upsampler configuration would silently leave every such job `unavailable`: refuse it at start. */
export const PROMPT_UPSAMPLER_RULES: readonly SettingsRule<PromptUpsamplerSettings>[] = [
  {
    variable: 'PROMPT_UPSAMPLER_MODEL',
    message: 'set it with PROMPT_UPSAMPLER_URL: the model the endpoint is asked for',
    holds: (env) => env.PROMPT_UPSAMPLER_URL === undefined || env.PROMPT_UPSAMPLER_MODEL !== undefined,
  },
  {
    variable: 'PROMPT_UPSAMPLER_URL',
    message: 'set it, or unset PROMPT_UPSAMPLER_MODEL and PROMPT_UPSAMPLER_API_KEY: without a URL there is no upsampler',
    holds: (env) => env.PROMPT_UPSAMPLER_URL !== undefined || (env.PROMPT_UPSAMPLER_MODEL === undefined && env.PROMPT_UPSAMPLER_API_KEY === undefined),
  },
];

/** People and the console: read by every process that serves the API (sessions, sign-up, mail). */
const CONSOLE_SETTINGS = [
  SIGNUP,
  SIGNUP_CREDITS,
  SESSION_IDLE_HOURS,
  SESSION_MAX_DAYS,
  SIGN_IN_FAILURE_LIMIT,
  SIGN_IN_ADDRESS_FAILURE_LIMIT,
  ALLOW_INSECURE_SESSION_COOKIES,
  SMTP_URL,
  MAIL_FROM,
] as const;

/** `npm start` (and `npm run rotate-secret-key`, which reads the same configuration for DATA_DIR). */
export const LOCAL_PLATFORM_SETTINGS = defineProcess({
  id: 'local',
  title: '`npm start`: the one-machine platform (`functions/local`); `npm run rotate-secret-key` reads the same',
  settings: [
    PORT,
    HOST,
    DATA_DIR,
    DATABASE_URL,
    PUBLIC_BASE_URL,
    WORKER_LOOPS,
    PREVIEW_STEP_DELAY_MS,
    LOCAL_ALLOW_PRIVATE_URL_INPUTS,
    MAX_BODY_BYTES,
    CORS_ORIGINS,
    SIGNED_URL_TTL_SECONDS,
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    QUEUE_TIMEOUT_SECONDS,
    DISPATCH_GRACE_SECONDS,
    MODEL_CATALOG_FILE,
    LOCAL_ADMIN_TOKEN,
    ADMIN_AUTH_FAILURE_LIMIT,
    KEY_ROTATION_GRACE_SECONDS,
    API_KEY_CACHE_TTL_MS,
    LOCAL_ALLOW_PRIVATE_WEBHOOK_TARGETS,
    WEBHOOK_RETRY_SCHEDULE,
    WEBHOOK_CLAIM_SECONDS,
    DISPATCHER_CONCURRENCY,
    ...PROMPT_UPSAMPLER_SETTINGS,
    ...CONSOLE_SETTINGS,
    LOG_LEVEL,
  ],
  rules: PROMPT_UPSAMPLER_RULES,
});

/**
 * What the standalone API servers and dispatchers over one database share: the database, the blob
 * directory, the URL-signing and sealing keys, and the public URL every one of them signs for.
 */
const SHARED_PLATFORM_SETTINGS = [
  DATABASE_URL.required(),
  STORAGE_DIR,
  URL_SIGNING_SECRET,
  SECRET_KEYS_DIR,
  PUBLIC_BASE_URL.required(),
] as const;

export const API_SERVER_SETTINGS = defineProcess({
  id: 'api',
  title: 'the standalone API server over an existing database (`node --import tsx functions/api/src/main.ts`; run several behind a load balancer)',
  settings: [
    ...SHARED_PLATFORM_SETTINGS,
    PORT,
    HOST,
    ADMIN_TOKEN,
    ADMIN_AUTH_FAILURE_LIMIT,
    KEY_ROTATION_GRACE_SECONDS,
    MAX_BODY_BYTES,
    CORS_ORIGINS,
    SIGNED_URL_TTL_SECONDS,
    API_KEY_CACHE_TTL_MS,
    MAX_ATTEMPTS,
    ALLOW_PRIVATE_URL_INPUTS,
    ALLOW_PRIVATE_WEBHOOK_TARGETS,
    ...CONSOLE_SETTINGS,
    LOG_LEVEL,
  ],
});

export const DISPATCHER_SETTINGS = defineProcess({
  id: 'dispatcher',
  title: 'the standalone webhook dispatcher (`node --import tsx functions/dispatcher/src/main.ts`)',
  settings: [
    ...SHARED_PLATFORM_SETTINGS,
    SIGNED_URL_TTL_SECONDS,
    ALLOW_PRIVATE_WEBHOOK_TARGETS,
    WEBHOOK_RETRY_SCHEDULE,
    WEBHOOK_CLAIM_SECONDS,
    STANDALONE_DISPATCHER_CONCURRENCY,
    LOG_LEVEL,
  ],
});

/** What the worker reads whichever its backend. */
const WORKER_ENGINE_SETTINGS = [
  BACKEND,
  ENGINE,
  KONTEXT_PYTHON,
  KONTEXT_MODEL_DIR,
  ENGINE_LOAD_TIMEOUT_SECONDS,
  ENGINE_POOL,
  PREVIEW_STEP_DELAY_MS,
  WORKER_PROCESS_LOOPS,
  LEASE_SECONDS,
  MAX_ATTEMPTS,
  DRAIN_SECONDS,
  HEALTH_PORT,
  MODEL_WEIGHTS_S3_URI,
  MODEL_DIR,
  ...PROMPT_UPSAMPLER_SETTINGS,
] as const;

/** The worker reads BACKEND alone first, to know which composition below applies. */
export const WORKER_BACKEND_SETTINGS = { settings: [BACKEND] } as const;

export const WORKER_SETTINGS = defineProcess({
  id: 'worker',
  title: 'a standalone worker process, `BACKEND=local` (`node --import tsx gpu-worker/src/main.ts`)',
  settings: [...WORKER_ENGINE_SETTINGS, DATABASE_URL.required(), STORAGE_DIR, LOG_LEVEL],
  rules: PROMPT_UPSAMPLER_RULES,
});

/** The variables every cloud process reads: where the database, the bucket, the queues and the keys are. */
export const CLOUD_SETTINGS = [
  DATABASE_URL,
  DATABASE_SECRET_ARN,
  DATABASE_USERNAME,
  DATABASE_PASSWORD,
  DATABASE_HOST,
  DATABASE_PORT,
  DATABASE_NAME,
  DATABASE_SSL,
  DATABASE_MAX_CONNECTIONS,
  BUCKET_NAME,
  BUCKET_KEY_PREFIX,
  QUEUE_NAME_PREFIX,
  AWS_REGION,
  AWS_ENDPOINT_URL_S3,
  AWS_ENDPOINT_URL_SQS,
  AWS_ENDPOINT_URL_SECRETS_MANAGER,
  AWS_ENDPOINT_URL_KMS,
  SECRETS_KMS_KEY_ID,
  S3_FORCE_PATH_STYLE,
  WEBHOOK_CLAIM_SECONDS,
  LOG_LEVEL,
] as const;

export type CloudSettings = SettingsOf<typeof CLOUD_SETTINGS>;

/** A cloud process must have some way to reach the database. */
export const CLOUD_DATABASE_RULE: SettingsRule<CloudSettings> = {
  variable: 'DATABASE_URL',
  message: 'set DATABASE_URL, or DATABASE_SECRET_ARN, or DATABASE_HOST with DATABASE_USERNAME and DATABASE_PASSWORD',
  holds: (env) =>
    Boolean(env.DATABASE_URL) ||
    Boolean(env.DATABASE_SECRET_ARN) ||
    (env.DATABASE_USERNAME !== undefined && env.DATABASE_PASSWORD !== undefined && env.DATABASE_HOST !== undefined),
};

export const CLOUD_RULES = [CLOUD_DATABASE_RULE] as const;

export const WORKER_AWS_SETTINGS = defineProcess({
  id: 'worker-aws',
  title: 'the worker container in AWS, `BACKEND=aws` (ECS; the same entry point)',
  settings: [...WORKER_ENGINE_SETTINGS, ...CLOUD_SETTINGS],
  rules: [...CLOUD_RULES, ...PROMPT_UPSAMPLER_RULES],
});

export const API_LAMBDA_SETTINGS = defineProcess({
  id: 'api-lambda',
  title: 'the API Lambda function (`functions/api/src/lambda.ts`)',
  settings: [
    ...CLOUD_SETTINGS,
    PUBLIC_BASE_URL.required(),
    ADMIN_TOKEN_SECRET_ARN,
    ORIGIN_VERIFY_SECRET_ARN,
    SMTP_URL_SECRET_ARN,
    ADMIN_TOKEN,
    ADMIN_AUTH_FAILURE_LIMIT,
    KEY_ROTATION_GRACE_SECONDS,
    LAMBDA_MAX_BODY_BYTES,
    CORS_ORIGINS,
    SIGNED_URL_TTL_SECONDS,
    API_KEY_CACHE_TTL_MS,
    MAX_ATTEMPTS,
    PLATFORM_VERSION,
    ALLOW_PRIVATE_URL_INPUTS,
    ALLOW_PRIVATE_WEBHOOK_TARGETS,
    ...CONSOLE_SETTINGS,
  ],
  rules: CLOUD_RULES,
});

export const DISPATCHER_LAMBDA_SETTINGS = defineProcess({
  id: 'dispatcher-lambda',
  title: 'the webhook dispatcher Lambda function on the webhooks queue (`functions/dispatcher/src/lambda.ts`)',
  settings: [...CLOUD_SETTINGS, SIGNED_URL_TTL_SECONDS, ALLOW_PRIVATE_WEBHOOK_TARGETS, WEBHOOK_RETRY_SCHEDULE],
  rules: CLOUD_RULES,
});

export const MAINTENANCE_LAMBDA_SETTINGS = defineProcess({
  id: 'maintenance-lambda',
  title: 'the scheduled maintenance Lambda function (`functions/maintenance/src/lambda.ts`)',
  settings: [...CLOUD_SETTINGS, LEASE_SECONDS, MAX_ATTEMPTS, QUEUE_TIMEOUT_SECONDS, DISPATCH_GRACE_SECONDS, TIME_BUDGET_SECONDS],
  rules: CLOUD_RULES,
});

export const MIGRATE_LAMBDA_SETTINGS = defineProcess({
  id: 'migrate-lambda',
  title: 'the schema migration Lambda function, a CloudFormation custom resource (`functions/maintenance/src/migrate-lambda.ts`)',
  settings: CLOUD_SETTINGS,
  rules: CLOUD_RULES,
});

export const ADMIN_CLI_SETTINGS = defineProcess({
  id: 'admin-cli',
  title: 'the operator CLI (`npm run admin`), which finds a local platform the way `npm start` runs it',
  settings: [KONTEXT_API_URL, KONTEXT_ADMIN_TOKEN, PORT, DATA_DIR],
});

/** Every process, in the order the README lists them. */
export const PROCESSES = [
  LOCAL_PLATFORM_SETTINGS,
  API_SERVER_SETTINGS,
  DISPATCHER_SETTINGS,
  WORKER_SETTINGS,
  WORKER_AWS_SETTINGS,
  API_LAMBDA_SETTINGS,
  DISPATCHER_LAMBDA_SETTINGS,
  MAINTENANCE_LAMBDA_SETTINGS,
  MIGRATE_LAMBDA_SETTINGS,
  ADMIN_CLI_SETTINGS,
] as const;

/** The processes that read every one of CLOUD_SETTINGS; the README calls them "cloud". */
export const CLOUD_PROCESSES = [WORKER_AWS_SETTINGS, API_LAMBDA_SETTINGS, DISPATCHER_LAMBDA_SETTINGS, MAINTENANCE_LAMBDA_SETTINGS, MIGRATE_LAMBDA_SETTINGS] as const;

type AnyProcessSetting = (typeof PROCESSES)[number]['settings'][number];

/**
 * Any process's values, every one optional: what code that maps settings for several processes
 * (`platformSettingsOf` in services) takes.
 */
export type SettingValues = { [S in AnyProcessSetting as S['name']]?: NonNullable<S['defaultValue']> };
