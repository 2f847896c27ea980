import type { MailMessage } from '@kontext/mailer';
import type { ServiceContext } from '../context.ts';
import { errorFields } from '../logger.ts';

/**
 * Hands a message to the mailer. A mail failure does not undo what the message is about (the
 * invitation exists; it can be sent again), so it is logged and reported as `false`.
 */
export async function sendMail(ctx: ServiceContext, message: MailMessage): Promise<boolean> {
  if (!ctx.mailer) {
    ctx.log.warn('mail not sent: this process has no mailer (set SMTP_URL)', { subject: message.subject });
    return false;
  }
  try {
    await ctx.mailer.send(message);
    return true;
  } catch (error) {
    ctx.log.error('mail not sent', { subject: message.subject, ...errorFields(error) });
    return false;
  }
}

/** A console page's address with a token in its fragment: fragments reach neither servers' logs nor Referer headers. */
export function consoleLink(ctx: ServiceContext, page: string, token: string): string {
  const base = ctx.settings.publicBaseUrl ?? 'http://localhost';
  return `${base}/console/${page}#token=${token}`;
}
