import { z } from 'zod';
import { declareSetting } from '../setting.ts';
import { nonEmptyText, switchSchema, wholeNumber } from '../value-schemas.ts';

// People and the console: sign-up, sessions, sign-in throttling and the mail that carries
// invitations and password resets. Read by the processes that serve the API.

export const SIGNUP = declareSetting({
  name: 'SIGNUP',
  description:
    '`open`: anyone may sign up at `/console`, creating a new tenant they own with `SIGNUP_CREDITS`; `off`: people join only by invitation (from an owner, an admin or the operator).',
  schema: z.enum(['off', 'open']),
  default: 'off',
});

export const SIGNUP_CREDITS = declareSetting({
  name: 'SIGNUP_CREDITS',
  description: "A signed-up tenant's opening credit grant (a ledger entry like any grant).",
  schema: wholeNumber(0, 1_000_000_000),
  default: 0,
});

export const SESSION_IDLE_HOURS = declareSetting({
  name: 'SESSION_IDLE_HOURS',
  description: 'A console session ends after this long without a request.',
  schema: wholeNumber(1, 24 * 30),
  default: 24,
});

export const SESSION_MAX_DAYS = declareSetting({
  name: 'SESSION_MAX_DAYS',
  description: 'A console session ends this long after sign-in, however active.',
  schema: wholeNumber(1, 90),
  default: 14,
});

export const SIGN_IN_FAILURE_LIMIT = declareSetting({
  name: 'SIGN_IN_FAILURE_LIMIT',
  description: 'Failed sign-ins to one account in 15 minutes before that account is refused (429) until the window ends.',
  schema: wholeNumber(1, 1_000_000),
  default: 10,
});

export const SIGN_IN_ADDRESS_FAILURE_LIMIT = declareSetting({
  name: 'SIGN_IN_ADDRESS_FAILURE_LIMIT',
  description: 'Failed sign-ins (any account) from one client address in 15 minutes before the address is refused (429).',
  schema: wholeNumber(1, 1_000_000),
  default: 100,
});

export const ALLOW_INSECURE_SESSION_COOKIES = declareSetting({
  name: 'ALLOW_INSECURE_SESSION_COOKIES',
  description:
    'Let console sessions work when `PUBLIC_BASE_URL` is plain HTTP on a host other than localhost: the cookie then lacks `Secure` and can be read on the network. Off, sign-in is refused there. Never needed on `http://localhost`.',
  schema: switchSchema,
  default: false,
});

export const SMTP_URL = declareSetting({
  name: 'SMTP_URL',
  description:
    'The mail server for invitations and password resets, `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465`; its password is never logged.',
  schema: z.url({ protocol: /^smtps?$/ }),
  whenUnset: 'messages are written to `$DATA_DIR/outbox/` and their links logged (one machine); no mail where there is no data directory',
});

export const MAIL_FROM = declareSetting({
  name: 'MAIL_FROM',
  description: "The sender of the platform's mail, e.g. `Kontext <no-reply@example.com>`.",
  schema: nonEmptyText.max(320),
  default: 'Kontext <no-reply@kontext.localhost>',
});
