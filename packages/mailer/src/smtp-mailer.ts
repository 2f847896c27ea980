import nodemailer, { type NodemailerError, type SMTPTransportOptions } from 'nodemailer';
import { MailError, nodemailerMessageOf, validateFrom, validateMessage, type MailLog, type Mailer, type MailMessage } from './mailer.ts';

// Sends through an SMTP server (a relay, or a provider's SMTP endpoint), one connection per
// message: transactional mail is a few messages a minute, and a fresh connection never inherits
// a half-dead one.

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` (STARTTLS when offered), `smtps://...` (TLS from the start), or without `user:pass@`. */
  url: string;
  /** The sender, as `Kontext <no-reply@example.com>`. */
  from: string;
  logger?: MailLog;
}

const SMTP_PORTS = { 'smtp:': 587, 'smtps:': 465 } as const;

// Failures of the connection itself, not a verdict on the message: the same message may go through later.
const CONNECTION_ERROR_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

interface SmtpServer {
  host: string;
  port: number;
  secure: boolean;
  auth: { user: string; pass: string } | undefined;
}

export function parseSmtpUrl(url: string): SmtpServer {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not the URL's own error: it carries the input, credentials and all.
    throw new MailError('invalid SMTP URL: not a URL', { retryable: false });
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new MailError('invalid SMTP URL: the scheme must be smtp: or smtps:', { retryable: false });
  }
  if (parsed.hostname === '') throw new MailError('invalid SMTP URL: no host', { retryable: false });
  if (parsed.password !== '' && parsed.username === '') {
    throw new MailError('invalid SMTP URL: a password without a user', { retryable: false });
  }
  return {
    // An IPv6 literal keeps its brackets in URL.hostname; sockets want it bare.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? SMTP_PORTS[parsed.protocol] : Number(parsed.port),
    secure: parsed.protocol === 'smtps:',
    auth:
      parsed.username === ''
        ? undefined
        : { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) },
  };
}

export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const from = validateFrom(options.from);
  const server = parseSmtpUrl(options.url);
  const log = options.logger ?? (() => {});
  const transportOptions: SMTPTransportOptions = {
    host: server.host,
    port: server.port,
    secure: server.secure,
    auth: server.auth,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    dnsTimeout: 10_000,
    socketTimeout: 30_000,
    // Its logger would see the SMTP dialogue; ours gets one line per message and nothing about credentials.
    logger: false,
  };
  const transport = nodemailer.createTransport(transportOptions);
  // Where log lines and errors say the mail went: never the URL, which holds the password.
  const serverName = server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  let closed = false;

  return {
    kind: 'smtp',
    async send(message: MailMessage): Promise<void> {
      if (closed) throw new MailError('the mailer is closed', { retryable: false });
      const valid = validateMessage(message);
      try {
        const info = await transport.sendMail(nodemailerMessageOf(from, valid));
        log('mail sent', { to: valid.to, subject: valid.subject, server: serverName, messageId: info.messageId });
      } catch (error) {
        const failure = toMailError(error, server.auth?.pass);
        log('mail not sent', {
          to: valid.to,
          subject: valid.subject,
          server: serverName,
          error: failure.message,
          retryable: failure.retryable,
        });
        throw failure;
      }
    },
    async close(): Promise<void> {
      closed = true;
      transport.close();
    },
  };
}

/** A MailError for a transport failure, without the transport's error (its fields may hold the SMTP dialogue). */
function toMailError(error: unknown, password: string | undefined): MailError {
  const failure: NodemailerError = error instanceof Error ? error : new Error(String(error));
  const responseCode = failure.responseCode;
  const code = failure.code;
  const retryable =
    responseCode !== undefined ? responseCode < 500 : code !== undefined && CONNECTION_ERROR_CODES.has(code);
  let message = `SMTP delivery failed: ${failure.message}`;
  if (password !== undefined && password !== '') message = message.replaceAll(password, '***');
  return new MailError(message, {
    retryable,
    ...(responseCode !== undefined ? { responseCode } : {}),
    ...(code !== undefined ? { code } : {}),
  });
}
