import type { MailLog, Mailer } from './mailer.ts';
import { createOutboxMailer } from './outbox-mailer.ts';
import { createSmtpMailer } from './smtp-mailer.ts';

export { MailError, type MailLog, type Mailer, type MailMessage } from './mailer.ts';
export { createOutboxMailer, type OutboxMailerOptions } from './outbox-mailer.ts';
export { createSmtpMailer, type SmtpMailerOptions } from './smtp-mailer.ts';

export interface MailerConfig {
  /** Where set, mail goes out through this server; else into the outbox directory. */
  smtpUrl?: string;
  from: string;
  outboxDirectory: string;
  log: MailLog;
}

export function createMailer(config: MailerConfig): Mailer {
  if (config.smtpUrl !== undefined && config.smtpUrl !== '') {
    return createSmtpMailer({ url: config.smtpUrl, from: config.from, logger: config.log });
  }
  return createOutboxMailer({ directory: config.outboxDirectory, from: config.from, log: config.log });
}
