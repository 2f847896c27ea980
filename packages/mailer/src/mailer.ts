import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';

// The mail port: the platform sends transactional mail (sign-in links, invitations, resets) to one
// recipient at a time, through SMTP where a server is configured, else into an outbox directory on
// the machine. Every adapter validates the same way before anything leaves the process.

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** the one link the message exists for (sign-in, invitation, reset): the local adapter logs it */
  link?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'smtp' | 'outbox';
}

/** A structured log line; the caller decides where it goes. */
export type MailLog = (message: string, fields: Record<string, unknown>) => void;

/** A message that was not sent: refused as invalid (never retryable) or failed in transport. */
export class MailError extends Error {
  override readonly name = 'MailError';
  /** Whether sending the same message again later may succeed (a connection error, a 4xx reply). */
  readonly retryable: boolean;
  /** The SMTP reply code, where the server gave one. */
  readonly responseCode: number | undefined;
  /** The transport's error code (ECONNECTION, EAUTH, ...), where it gave one. */
  readonly code: string | undefined;

  constructor(message: string, options: { retryable: boolean; responseCode?: number; code?: string }) {
    super(message);
    this.retryable = options.retryable;
    this.responseCode = options.responseCode;
    this.code = options.code;
  }
}

// CR or LF in a header value would start a new header (Bcc: ...): header injection.
const NO_LINE_BREAKS = /^[^\r\n]*$/;
// Other control characters have no business in a header either; tabs included, they only confuse.
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

/** One bare address (no display name, no list), as an SMTP envelope takes it. */
const emailAddress = z.email().max(254).regex(NO_LINE_BREAKS, 'must not contain line breaks');

const messageSchema = z.strictObject({
  to: emailAddress,
  subject: z
    .string()
    .min(1)
    .max(200)
    .regex(NO_LINE_BREAKS, 'must not contain line breaks')
    .regex(NO_CONTROL_CHARACTERS, 'must not contain control characters'),
  text: z.string().min(1).max(100_000),
  // Generous: an HTML rendering of a 100 000 character text, with markup.
  html: z.string().max(500_000).optional(),
  link: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
});

/** The message as it may be sent, or a non-retryable MailError naming every field that is wrong. */
export function validateMessage(message: MailMessage): MailMessage {
  const parsed = messageSchema.safeParse(message);
  if (!parsed.success) {
    // Field names and rules only: the values may be personal data (an address, a link with a token).
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`);
    throw new MailError(`invalid mail message: ${issues.join('; ')}`, { retryable: false });
  }
  const valid = parsed.data;
  // The link is what the recipient needs; a template that forgot to put it in the text sends a useless mail.
  if (valid.link !== undefined && !valid.text.includes(valid.link)) {
    throw new MailError('invalid mail message: link: must appear in the text', { retryable: false });
  }
  return valid;
}

/** Checks a sender such as `Kontext <no-reply@example.com>` once, when a mailer is made. */
export function validateFrom(from: string): string {
  if (!NO_CONTROL_CHARACTERS.test(from)) {
    throw new MailError('invalid sender: must not contain control characters', { retryable: false });
  }
  const parsed = addressparser(from);
  const [only] = parsed;
  if (parsed.length !== 1 || only === undefined || only.address === undefined || !emailAddress.safeParse(only.address).success) {
    throw new MailError('invalid sender: must be one address, as `Name <address>` or `address`', { retryable: false });
  }
  return from;
}

/**
 * What nodemailer is handed for a checked message, by either adapter: strings only, and neither
 * file nor URL access, so no message can make the mailer read a file or fetch a URL.
 */
export function nodemailerMessageOf(from: string, valid: MailMessage) {
  return { from, to: valid.to, subject: valid.subject, text: valid.text, html: valid.html, disableFileAccess: true, disableUrlAccess: true };
}
