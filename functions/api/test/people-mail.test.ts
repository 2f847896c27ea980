import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { parseDelivered, type DeliveredMail } from '../../../packages/mailer/test/conformance.ts';
import { ConsoleSession } from '../../../test/harness/console-session.ts';
import { test } from '../../../test/harness/fixtures.ts';
import { joinTenant, PASSWORD, signInAgain, tokenOfLink, uniqueEmail } from '../../../test/harness/people.ts';
import { startTestPlatform, type TestPlatform } from '../../../test/harness/platform.ts';
import { expectProblem } from '../../../test/harness/problems.ts';
import { startSmtpServerProcess, type SmtpServerProcess } from '../../../test/harness/smtp-server.ts';

// The platform's mail, read where it arrives: password resets and invitations sent through a real
// SMTP server (smtp-server in a child process, with AUTH), and, with no SMTP_URL, written to the
// outbox directory. Links are taken from the mail as its reader would, and followed through the API.

test.override({ platformOptions: { transport: 'in-process', workerLoops: 0 } });

const SLOW = 60_000;
const MAIL_TIMEOUT = 15_000;

const it = test
  /** The SMTP server for the file, requiring AUTH. */
  .extend('smtp', { scope: 'file' }, async ({}, { onCleanup }): Promise<SmtpServerProcess> => {
    const server = await startSmtpServerProcess({ auth: true });
    onCleanup(() => server.stop());
    return server;
  })
  /**
   * A platform whose mail goes through that server (SMTP_URL), three wrong passwords per account
   * (every test uses its own). The plain `platform` has no SMTP_URL: its mail goes to the outbox.
   */
  .extend('mailPlatform', { scope: 'file' }, async ({ smtp }, { onCleanup }): Promise<TestPlatform> => {
    const platform = await startTestPlatform({ transport: 'in-process', workerLoops: 0, people: { smtpUrl: smtp.url(), signInFailureLimit: 3 } });
    onCleanup(() => platform.stop());
    return platform;
  });

const RESET_SUBJECT = 'Reset your Kontext password';

/** The mail to `address` (with `subject`, if given) once exactly `count` have arrived; the last of them. */
async function mailTo(smtp: SmtpServerProcess, address: string, options: { subject?: string; count?: number } = {}): Promise<DeliveredMail> {
  let found: DeliveredMail[] = [];
  const matches = (mail: DeliveredMail) => mail.to.includes(address) && (options.subject === undefined || mail.subject === options.subject);
  await expect
    .poll(async () => (found = (await smtp.delivered()).filter(matches)).length, { timeout: MAIL_TIMEOUT })
    .toBe(options.count ?? 1);
  return found.at(-1)!;
}

/** The one console link in a mail's text. */
function linkIn(mail: DeliveredMail, page: string): string {
  const links = mail.text.match(/https?:\/\/\S+/g) ?? [];
  const matching = links.filter((link) => link.includes(`/console/${page}#token=`));
  expect(matching, mail.text).toHaveLength(1);
  return matching[0]!;
}

describe('password reset by mail', () => {
  it(
    'a known address gets a link that sets a new password once and ends every session; an unknown one gets nothing',
    async ({ mailPlatform, smtp }) => {
      const tenant = await mailPlatform.createTenantWithKey({ name: 'Mailed' });
      const member = await joinTenant(mailPlatform, tenant.tenantId, 'admin');
      const otherDevice = await signInAgain(mailPlatform, member);
      const stranger = uniqueEmail('stranger');

      const anonymous = ConsoleSession.of(mailPlatform);
      const unknown = await anonymous.request('POST', '/v1/password-reset', { json: { email: stranger } });
      expect(unknown.status, unknown.text).toBe(202);
      const known = await anonymous.request('POST', '/v1/password-reset', { json: { email: member.email.toUpperCase() } });
      expect(known.status, known.text).toBe(202);
      // The same answer either way: the form tells nobody which addresses have accounts.
      expect(known.text).toBe(unknown.text);

      const mail = await mailTo(smtp, member.email, { subject: RESET_SUBJECT });
      expect(mail.from).toEqual({ name: 'Kontext', address: 'no-reply@kontext.localhost' });
      const link = linkIn(mail, 'reset-password');
      expect(link).toMatch(new RegExp(`^${mailPlatform.publicBaseUrl}/console/reset-password#token=pwr_[A-Za-z0-9_-]{43}$`));
      // The known address's mail came after the unknown one's request: had that one been sent, it would be here by now.
      expect((await smtp.delivered()).filter((delivered) => delivered.to.includes(stranger))).toEqual([]);

      const token = tokenOfLink(link);
      const newPassword = 'a password set by mail';
      expectProblem(await anonymous.request('POST', '/v1/password-reset/complete', { json: { token, password: 'short' } }), 422, ['password']);
      // Sessions live until the reset is complete.
      expect((await member.browser.current()).status).toBe(200);
      const completed = await anonymous.request('POST', '/v1/password-reset/complete', { json: { token, password: newPassword } });
      expect(completed.status, completed.text).toBe(204);
      expect(anonymous.cookie).toBeUndefined();
      expectProblem(await member.browser.current(), 401);
      expectProblem(await otherDevice.current(), 401);

      expectProblem(await ConsoleSession.of(mailPlatform).signIn(member.email, member.password), 401);
      const signedIn = ConsoleSession.of(mailPlatform);
      expect((await signedIn.signIn(member.email, newPassword)).status).toBe(200);
      expectProblem(await anonymous.request('POST', '/v1/password-reset/complete', { json: { token, password: 'yet another password' } }), 404, ['token']);
      expect((await ConsoleSession.of(mailPlatform).signIn(member.email, newPassword)).status).toBe(200);

      const audit = await signedIn.request<{ data: { action: string; target: string }[] }>('GET', '/v1/audit-log?action=password.reset');
      expect(audit.body.data).toEqual([expect.objectContaining({ action: 'password.reset', target: member.userId })]);
    },
    SLOW,
  );

  it(
    'a new link voids the one before it',
    async ({ mailPlatform, smtp }) => {
      const tenant = await mailPlatform.createTenantWithKey();
      const member = await joinTenant(mailPlatform, tenant.tenantId, 'viewer');
      const anonymous = ConsoleSession.of(mailPlatform);
      expect((await anonymous.request('POST', '/v1/password-reset', { json: { email: member.email } })).status).toBe(202);
      const first = tokenOfLink(linkIn(await mailTo(smtp, member.email, { subject: RESET_SUBJECT }), 'reset-password'));
      expect((await anonymous.request('POST', '/v1/password-reset', { json: { email: member.email } })).status).toBe(202);
      const second = tokenOfLink(linkIn(await mailTo(smtp, member.email, { subject: RESET_SUBJECT, count: 2 }), 'reset-password'));
      expect(second).not.toBe(first);
      expectProblem(await anonymous.request('POST', '/v1/password-reset/complete', { json: { token: first, password: 'the first new password' } }), 404);
      expect((await anonymous.request('POST', '/v1/password-reset/complete', { json: { token: second, password: 'the second new password' } })).status).toBe(204);
      expect((await ConsoleSession.of(mailPlatform).signIn(member.email, 'the second new password')).status).toBe(200);
    },
    SLOW,
  );

  it(
    "a completed reset lifts the account's sign-in throttle, as the 429 says it would",
    async ({ mailPlatform, smtp }) => {
      const tenant = await mailPlatform.createTenantWithKey();
      const member = await joinTenant(mailPlatform, tenant.tenantId, 'viewer');
      for (let attempt = 1; attempt <= 3; attempt++) expectProblem(await ConsoleSession.of(mailPlatform).signIn(member.email, `guess number ${attempt}`), 401);
      const throttled = expectProblem(await ConsoleSession.of(mailPlatform).signIn(member.email, member.password), 429);
      expect(throttled.detail).toMatch(/reset the password/);

      const anonymous = ConsoleSession.of(mailPlatform);
      expect((await anonymous.request('POST', '/v1/password-reset', { json: { email: member.email } })).status).toBe(202);
      const token = tokenOfLink(linkIn(await mailTo(smtp, member.email, { subject: RESET_SUBJECT }), 'reset-password'));
      expect((await anonymous.request('POST', '/v1/password-reset/complete', { json: { token, password: 'after the lockout' } })).status).toBe(204);
      expect((await ConsoleSession.of(mailPlatform).signIn(member.email, 'after the lockout')).status).toBe(200);
    },
    SLOW,
  );

  it('a reset link is no sign-in link, nor an invitation', async ({ mailPlatform, smtp }) => {
    const tenant = await mailPlatform.createTenantWithKey();
    const member = await joinTenant(mailPlatform, tenant.tenantId, 'viewer');
    const anonymous = ConsoleSession.of(mailPlatform);
    expect((await anonymous.request('POST', '/v1/password-reset', { json: { email: member.email } })).status).toBe(202);
    const token = tokenOfLink(linkIn(await mailTo(smtp, member.email, { subject: RESET_SUBJECT }), 'reset-password'));
    expectProblem(await anonymous.signInWithLink(token), 401);
    expectProblem(await anonymous.acceptInvitation(token, PASSWORD), 404);
    // Still good for what it is for.
    expect((await anonymous.request('POST', '/v1/password-reset/complete', { json: { token, password: 'reset after all' } })).status).toBe(204);
  });
});

describe('invitation mail', () => {
  it(
    "POST /v1/invitations mails the invitee the accept link (email_sent: true); the link joins with the invitation's role",
    async ({ mailPlatform, smtp }) => {
      const tenant = await mailPlatform.createTenantWithKey({ name: 'Inviting team' });
      const owner = await joinTenant(mailPlatform, tenant.tenantId, 'owner');
      const invitee = uniqueEmail('invitee');
      const invited = await owner.browser.request<{ id: string; email_sent: boolean; email: string; role: string; invited_by: string; created_at: string; expires_at: string }>('POST', '/v1/invitations', {
        json: { email: invitee, role: 'developer', expires_in_hours: 2 },
      });
      expect(invited.status, invited.text).toBe(201);
      expect(invited.body).toMatchObject({ email: invitee, role: 'developer', email_sent: true, invited_by: owner.userId });
      expect(invited.body).not.toHaveProperty('accept_url');
      // expires_in_hours is taken: two hours, not the default week (both stamps are the database's, of one statement).
      expect(Date.parse(invited.body.expires_at) - Date.parse(invited.body.created_at)).toBe(2 * 3600 * 1000);

      const mail = await mailTo(smtp, invitee);
      expect(mail.to).toEqual([invitee]);
      expect(mail.subject).toBe('You are invited to Inviting team on Kontext');
      expect(mail.text).toContain(owner.email);
      expect(mail.text).toContain('developer');
      const link = linkIn(mail, 'accept-invitation');
      expect(link).toMatch(new RegExp(`^${mailPlatform.publicBaseUrl}/console/accept-invitation#token=inv_[A-Za-z0-9_-]{43}$`));
      // Only the invitee got it.
      expect((await smtp.delivered()).filter((delivered) => delivered.text.includes(link))).toHaveLength(1);

      const browser = ConsoleSession.of(mailPlatform);
      const accepted = await browser.acceptInvitation(tokenOfLink(link), PASSWORD, 'Invited Person');
      expect(accepted.status, accepted.text).toBe(200);
      expect(accepted.body.tenant).toEqual({ id: tenant.tenantId, name: 'Inviting team', role: 'developer' });
      expect(accepted.body.user).toMatchObject({ email: invitee, name: 'Invited Person' });
    },
    SLOW,
  );
});

describe('the outbox (no SMTP_URL)', () => {
  it(
    'writes each mail to $DATA_DIR/outbox as an .eml file a mail program reads',
    async ({ platform, tenant }) => {
      const owner = await joinTenant(platform, tenant.tenantId, 'admin');
      const invitee = uniqueEmail('outboxed');
      const invited = await owner.browser.request<{ email_sent: boolean }>('POST', '/v1/invitations', { json: { email: invitee, role: 'viewer' } });
      expect(invited.status, invited.text).toBe(201);
      expect(invited.body.email_sent).toBe(true);

      const outbox = join(platform.dataDir, 'outbox');
      const mailsTo = async (address: string) => {
        const names = (await readdir(outbox).catch(() => [] as string[])).filter((name) => name.endsWith('.eml'));
        const mails = await Promise.all(names.map(async (name) => parseDelivered(await readFile(join(outbox, name)))));
        return mails.filter((mail) => mail.to.includes(address));
      };
      let mails: DeliveredMail[] = [];
      await expect.poll(async () => (mails = await mailsTo(invitee)).length, { timeout: MAIL_TIMEOUT }).toBe(1);
      const link = linkIn(mails[0]!, 'accept-invitation');
      expect(link.startsWith(`${platform.publicBaseUrl}/console/accept-invitation#token=inv_`)).toBe(true);
      const accepted = await ConsoleSession.of(platform).acceptInvitation(tokenOfLink(link), PASSWORD);
      expect(accepted.status, accepted.text).toBe(200);
      expect(accepted.body.tenant).toMatchObject({ id: tenant.tenantId, role: 'viewer' });
    },
    SLOW,
  );
});

describe('limits on reset requests and invitations', () => {
  it(
    'an account gets at most 3 reset mails per window (more requests still answer 202); an existing member is not invited again (409)',
    async ({ platform, tenant }) => {
      const member = await joinTenant(platform, tenant.tenantId, 'admin');
      const outbox = join(platform.dataDir, 'outbox');
      const resetMailsTo = async (address: string) => {
        const names = (await readdir(outbox).catch(() => [] as string[])).filter((name) => name.endsWith('.eml'));
        const mails = await Promise.all(names.map(async (name) => parseDelivered(await readFile(join(outbox, name)))));
        return mails.filter((mail) => mail.to.includes(address) && mail.subject.includes('Reset'));
      };
      for (let i = 0; i < 5; i++) {
        const asked = await ConsoleSession.of(platform).request('POST', '/v1/password-reset', { json: { email: member.email } });
        expect(asked.status, asked.text).toBe(202);
      }
      // Mail is written before the answer: all the mail there will be is there now.
      expect(await resetMailsTo(member.email)).toHaveLength(3);

      const again = await member.browser.request('POST', '/v1/invitations', { json: { email: member.email, role: 'viewer' } });
      expectProblem(again, 409);
      expect(again.body).toMatchObject({ errors: [{ field: 'email' }] });
    },
    SLOW,
  );
});
