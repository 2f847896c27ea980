import { z } from 'zod';
import { declareSetting } from '../setting.ts';
import { nonEmptyText, urlText, wholeNumber } from '../value-schemas.ts';

// The operator's side: the operator API's token and limits, key rotation, and the admin CLI.

export const ADMIN_TOKEN = declareSetting({
  name: 'ADMIN_TOKEN',
  description:
    'Operator API token (at least 24 characters). Unset: `npm start` generates one and keeps it in `$DATA_DIR/admin-token`; the API Lambda reads `ADMIN_TOKEN_SECRET_ARN`; elsewhere the operator API is off.',
  schema: z.string().min(24),
});

/** `npm start` always has an operator API: it generates the token when none is given. */
export const LOCAL_ADMIN_TOKEN = ADMIN_TOKEN.variant({ whenUnset: 'generated' });

export const ADMIN_TOKEN_SECRET_ARN = declareSetting({
  name: 'ADMIN_TOKEN_SECRET_ARN',
  description: 'The Secrets Manager secret holding the operator token, read once per cold start (the CDK app generates it).',
  schema: nonEmptyText,
});

export const ADMIN_AUTH_FAILURE_LIMIT = declareSetting({
  name: 'ADMIN_AUTH_FAILURE_LIMIT',
  description: 'Wrong operator tokens one address may send in 15 minutes before it is refused (429) until the window ends.',
  schema: wholeNumber(1, 1_000_000),
  default: 10,
});

export const KEY_ROTATION_GRACE_SECONDS = declareSetting({
  name: 'KEY_ROTATION_GRACE_SECONDS',
  description: 'How long a rotated-out key keeps working by default.',
  schema: wholeNumber(0, 30 * 24 * 3600),
  default: 24 * 3600,
});

export const KONTEXT_API_URL = declareSetting({
  name: 'KONTEXT_API_URL',
  description: 'The API the admin CLI talks to (`--url` overrides it).',
  schema: urlText,
  whenUnset: '`http://localhost:$PORT`',
});

export const KONTEXT_ADMIN_TOKEN = declareSetting({
  name: 'KONTEXT_ADMIN_TOKEN',
  description: "The admin CLI's operator token.",
  schema: nonEmptyText,
  whenUnset: '`--token-file`, or `$DATA_DIR/admin-token`',
});
