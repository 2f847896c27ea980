import { z } from 'zod';
import { declareSetting } from '../setting.ts';
import { logLevelSchema, nonEmptyText, originListSchema, portNumber, switchSchema, urlText, wholeNumber } from '../value-schemas.ts';

// The HTTP API's own variables: where it listens, how clients reach it, what it accepts.

export const PORT = declareSetting({
  name: 'PORT',
  description: 'API port (`0` picks a free one). The admin CLI builds its default URL from it.',
  schema: portNumber(0),
  default: 8787,
});

export const HOST = declareSetting({
  name: 'HOST',
  description: 'Interface to listen on; `0.0.0.0` to reach it from other machines.',
  schema: nonEmptyText,
  default: '127.0.0.1',
});

export const PUBLIC_BASE_URL = declareSetting({
  name: 'PUBLIC_BASE_URL',
  description: 'Base of `polling_url` and signed sample URLs.',
  schema: urlText,
  whenUnset: '`http://localhost:$PORT`',
});

export const MAX_BODY_BYTES = declareSetting({
  name: 'MAX_BODY_BYTES',
  description: 'Largest request body (30 MB by default; at most 6 MB in Lambda, whose payload limit it is).',
  schema: wholeNumber(1024, 512 * 1024 * 1024),
  default: 30 * 1024 * 1024,
});

/** Lambda's request payload limit: a larger body never reaches the function. */
export const LAMBDA_MAX_BODY_BYTES = MAX_BODY_BYTES.variant({ schema: wholeNumber(1024, 6 * 1024 * 1024), default: 6 * 1024 * 1024 });

export const CORS_ORIGINS = declareSetting({
  name: 'CORS_ORIGINS',
  description:
    'Browser origins allowed to call the API routes (comma-separated, or `*`); never the operator API, never with credentials.',
  schema: originListSchema,
  whenUnset: 'CORS off',
});

export const SIGNED_URL_TTL_SECONDS = declareSetting({
  name: 'SIGNED_URL_TTL_SECONDS',
  description: 'Lifetime of `result.sample` URLs.',
  schema: wholeNumber(10, 7 * 24 * 3600),
  default: 600,
});

export const API_KEY_CACHE_TTL_MS = declareSetting({
  name: 'API_KEY_CACHE_TTL_MS',
  description: 'How long a process trusts a verified key: the bound on revocation delay.',
  schema: wholeNumber(0, 60_000),
  default: 5_000,
});

export const ALLOW_PRIVATE_URL_INPUTS = declareSetting({
  name: 'ALLOW_PRIVATE_URL_INPUTS',
  description: 'Let URL inputs reach loopback and private networks. For local development and tests only; `npm start` announces it.',
  schema: switchSchema,
  default: false,
});

/** `npm start` runs on a developer's machine, where inputs are served from localhost. */
export const LOCAL_ALLOW_PRIVATE_URL_INPUTS = ALLOW_PRIVATE_URL_INPUTS.variant({ default: true });

export const PLATFORM_VERSION = declareSetting({
  name: 'PLATFORM_VERSION',
  description: 'The version `/health` and the OpenAPI document report.',
  schema: z.string(),
  whenUnset: "the code's version",
});

export const LOG_LEVEL = declareSetting({
  name: 'LOG_LEVEL',
  description: '`debug`, `info`, `warn` or `error`; logs are JSON lines.',
  schema: logLevelSchema,
  default: 'info',
});
