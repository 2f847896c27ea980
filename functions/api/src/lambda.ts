import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { openCloudRuntime, readSecretString } from '@kontext/cloud';
import { createSmtpMailer } from '@kontext/mailer';
import { platformSettingsOf } from '@kontext/services';
import { API_LAMBDA_SETTINGS, readSettings } from '@kontext/settings';
import { getConnInfo, handle } from 'hono/aws-lambda';
import { createApp } from './app.ts';
import { PLATFORM_VERSION } from './version.ts';
import { cloudFrontViewerAddress } from './viewer-address.ts';

// The API as a Lambda function behind an HTTP API (payload format 2.0): a thin composition root.
// Everything below runs once per cold start (configuration, secrets, connections) and is reused
// by every invocation of this instance.

/** Under API Gateway's 29 s integration timeout, with room to answer. */
const GATEWAY_BOUNDED_SECONDS = 20;

// A failed cold start shows this message in the function's log; nothing else can run anyway.
const env = readSettings(API_LAMBDA_SETTINGS, process.env);

let originVerifySecret: string | undefined;
const runtime = await openCloudRuntime(env, {
  service: 'api',
  settings: async (secrets) => {
    if (env.ORIGIN_VERIFY_SECRET_ARN) originVerifySecret = await readSecretString(secrets, env.ORIGIN_VERIFY_SECRET_ARN);
    // The operator token's secret (a generated string); or ADMIN_TOKEN itself in development.
    const adminToken = env.ADMIN_TOKEN ?? (env.ADMIN_TOKEN_SECRET_ARN ? await readSecretString(secrets, env.ADMIN_TOKEN_SECRET_ARN) : undefined);
    return { ...platformSettingsOf(env), adminToken };
  },
  // Through RDS Proxy a LISTEN would pin a connection for the instance's life: poll instead.
  jobEventSignals: { pollIntervalMs: 500 },
  // A Lambda has no disk to keep an outbox on: mail needs an SMTP server (SES's SMTP interface, or
  // any). Its URL carries a password, so in AWS it is a secret's string (SMTP_URL_SECRET_ARN, read
  // with the same client as the secrets above), preferred over SMTP_URL. Neither is ever logged: the
  // mailer's errors name what is wrong with a URL, never the URL.
  mailer: async (secrets) => {
    const url = env.SMTP_URL_SECRET_ARN ? (await readSecretString(secrets, env.SMTP_URL_SECRET_ARN)).trim() : env.SMTP_URL;
    if (url === '') throw new Error('the secret SMTP_URL_SECRET_ARN names holds a blank string, not an SMTP URL');
    return url === undefined ? undefined : createSmtpMailer({ url, from: env.MAIL_FROM });
  },
});

// The bundle ships Swagger UI's files beside itself; from source, the package is used.
const bundledSwaggerUi = fileURLToPath(new URL('./swagger-ui/', import.meta.url));
// Likewise the console's index.html (its hashed assets come from S3 through CloudFront).
const bundledConsole = fileURLToPath(new URL('./console/', import.meta.url));

const app = createApp({
  ctx: runtime.ctx,
  maxBodyBytes: env.MAX_BODY_BYTES,
  ...(env.CORS_ORIGINS ? { corsOrigins: env.CORS_ORIGINS } : {}),
  version: env.PLATFORM_VERSION ?? PLATFORM_VERSION,
  // API Gateway's own view of the caller (requestContext.http.sourceIp), not a forwarded header;
  // behind CloudFront, the viewer's address CloudFront vouches for (see viewer-address.ts).
  connectionInfo: originVerifySecret ? cloudFrontViewerAddress(getConnInfo, originVerifySecret) : getConnInfo,
  maxWaitSeconds: GATEWAY_BOUNDED_SECONDS,
  maxStreamSeconds: GATEWAY_BOUNDED_SECONDS,
  ...(existsSync(bundledSwaggerUi) ? { swaggerUiDirectory: bundledSwaggerUi } : {}),
  ...(existsSync(bundledConsole) ? { consoleDirectory: bundledConsole } : {}),
});

export const handler = handle(app);
