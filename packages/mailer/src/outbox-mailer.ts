import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { MailError, nodemailerMessageOf, validateFrom, validateMessage, type MailLog, type Mailer, type MailMessage } from './mailer.ts';

// For one machine with no SMTP server configured: each message becomes an RFC 5322 .eml file in a
// directory only the platform's user can read, and a log line carries the link, so whoever runs
// the machine can sign in or pass an invitation on. A mail program opens the files as they are.

export interface OutboxMailerOptions {
  directory: string;
  /** The sender, as `Kontext <no-reply@example.com>`. */
  from: string;
  log: MailLog;
}

export function createOutboxMailer(options: OutboxMailerOptions): Mailer {
  const from = validateFrom(options.from);
  // Builds the message and hands it back as bytes: the same MIME encoding SMTP delivery gets.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let directoryReady: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  async function write(message: MailMessage): Promise<void> {
    const valid = validateMessage(message);
    let eml: Buffer;
    try {
      const info = await composer.sendMail(nodemailerMessageOf(from, valid));
      if (!Buffer.isBuffer(info.message)) throw new Error('the composer returned a stream');
      eml = info.message;
    } catch (error) {
      throw new MailError(`the message could not be composed: ${(error as Error).message}`, { retryable: false });
    }

    const name = `${new Date().toISOString().replaceAll(':', '')}-${randomBytes(8).toString('hex')}.eml`;
    const file = join(options.directory, name);
    // A dot name without .eml: a reader of the outbox never picks up a half-written message.
    const temporary = join(options.directory, `.${name}.tmp`);
    try {
      directoryReady ??= mkdir(options.directory, { recursive: true, mode: 0o700 }).then(() => undefined);
      await directoryReady;
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(eml);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
    } catch (error) {
      directoryReady = undefined;
      await rm(temporary, { force: true }).catch(() => {});
      // A full disk or a directory someone removed can be fixed while the message waits.
      const { message: reason, code } = error as NodeJS.ErrnoException;
      throw new MailError(`the message could not be written to the outbox: ${reason}`, {
        retryable: true,
        ...(code !== undefined ? { code } : {}),
      });
    }
    // Not the text: it may hold more than the link, and logs travel further than the outbox.
    options.log('mail written to outbox', { to: valid.to, subject: valid.subject, file, link: valid.link });
  }

  return {
    kind: 'outbox',
    async send(message: MailMessage): Promise<void> {
      if (closed) throw new MailError('the mailer is closed', { retryable: false });
      const written = write(message);
      const tracked = written.catch(() => {});
      inFlight.add(tracked);
      void tracked.finally(() => inFlight.delete(tracked));
      await written;
    },
    async close(): Promise<void> {
      closed = true;
      // Messages accepted before close are on disk when it returns.
      await Promise.all(inFlight);
      composer.close();
    },
  };
}
