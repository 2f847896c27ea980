import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { CloudEnvironmentSchema, openCloudRuntime, readSecretString } from '@kontext/cloud';
import { EnvFlagSchema, parseEnvironment } from '@kontext/core';
import { getConnInfo, handle } from 'hono/aws-lambda';
import { z } from 'zod';
import { createApp } from './app.ts';
import { PLATFORM_VERSION } from './version.ts';

// The API as a Lambda function behind an HTTP API (payload format 2.0): a thin composition root.
// Everything below runs once per cold start (configuration, secrets, connections) and is reused
// by every invocation of this instance.

/** Under API Gateway's 29 s integration timeout, with room to answer. */
const GATEWAY_BOUNDED_SECONDS = 20;
/** Lambda's request payload limit: a larger body never reaches the function. */
const LAMBDA_MAX_BODY_BYTES = 6 * 1024 * 1024;

const ApiLambdaEnvironmentSchema = CloudEnvironmentSchema.and(
  z.object({
    PUBLIC_BASE_URL: z.url(),
    /** The operator token's secret (a generated string); or ADMIN_TOKEN itself in development. */
    ADMIN_TOKEN_SECRET_ARN: z.string().min(1).optional(),
    ADMIN_TOKEN: z.string().min(24).optional(),
    MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(LAMBDA_MAX_BODY_BYTES).default(LAMBDA_MAX_BODY_BYTES),
    SIGNED_URL_TTL_SECONDS: z.coerce.number().int().min(10).max(7 * 24 * 3600).default(600),
    API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
    PLATFORM_VERSION: z.string().default(PLATFORM_VERSION),
    /** Tests against local servers only; the CDK app never sets it, so AWS refuses private targets. */
    ALLOW_PRIVATE_WEBHOOK_TARGETS: EnvFlagSchema.default(false),
  }),
);

// A failed cold start shows this message in the function's log; nothing else can run anyway.
const env = parseEnvironment(ApiLambdaEnvironmentSchema, process.env);

const runtime = await openCloudRuntime(env, {
  service: 'api',
  settings: async (secrets) => {
    const adminToken = env.ADMIN_TOKEN ?? (env.ADMIN_TOKEN_SECRET_ARN ? await readSecretString(secrets, env.ADMIN_TOKEN_SECRET_ARN) : undefined);
    return {
      publicBaseUrl: env.PUBLIC_BASE_URL,
      signedUrlTtlSeconds: env.SIGNED_URL_TTL_SECONDS,
      apiKeyCacheTtlMs: env.API_KEY_CACHE_TTL_MS,
      webhooks: { allowPrivateNetworks: env.ALLOW_PRIVATE_WEBHOOK_TARGETS },
      ...(adminToken ? { adminToken } : {}),
    };
  },
  // Through RDS Proxy a LISTEN would pin a connection for the instance's life: poll instead.
  jobEventSignals: { pollIntervalMs: 500 },
});

// The bundle ships Swagger UI's files beside itself; from source, the package is used.
const bundledSwaggerUi = fileURLToPath(new URL('./swagger-ui/', import.meta.url));

const app = createApp({
  ctx: runtime.ctx,
  maxBodyBytes: env.MAX_BODY_BYTES,
  version: env.PLATFORM_VERSION,
  // API Gateway's own view of the caller (requestContext.http.sourceIp), not a forwarded header.
  connectionInfo: getConnInfo,
  maxWaitSeconds: GATEWAY_BOUNDED_SECONDS,
  maxStreamSeconds: GATEWAY_BOUNDED_SECONDS,
  ...(existsSync(bundledSwaggerUi) ? { swaggerUiDirectory: bundledSwaggerUi } : {}),
});

export const handler = handle(app);
