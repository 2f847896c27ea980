import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTP_TEST_PASSWORD as PASSWORD, SMTP_TEST_USER, startSmtpServerProcess, type SmtpServerProcess } from '../../../test/harness/smtp-server.ts';
import { createSmtpMailer, MailError } from '../src/index.ts';
import { parseSmtpUrl } from '../src/smtp-mailer.ts';
import { describeMailerConformance } from './conformance.ts';

// Against a real SMTP server (smtp-server) in a child process: the mailer's bytes cross a real
// socket, AUTH included, and a test can kill the server under a message in flight.

const PROCESS_TIMEOUT = 30_000;

/** A port nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  server.close();
  await once(server, 'close');
  return address.port;
}

// The password has characters that must be percent-encoded in the URL, to check the mailer decodes them.
const smtpUrl = (port: number, password = PASSWORD) =>
  `smtp://${encodeURIComponent(SMTP_TEST_USER)}:${encodeURIComponent(password)}@127.0.0.1:${port}`;

let server: SmtpServerProcess;

beforeAll(async () => {
  server = await startSmtpServerProcess({ auth: true });
}, PROCESS_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

describeMailerConformance(
  'SMTP (smtp-server in a child process)',
  async (from) => createSmtpMailer({ url: smtpUrl(server.port), from }),
  () => server.delivered(),
);

describe('SMTP mailer', () => {
  it('logs each message it sent, and never the password or the URL', async () => {
    const lines: string[] = [];
    const mailer = createSmtpMailer({
      url: smtpUrl(server.port),
      from: 'Kontext <no-reply@example.com>',
      logger: (message, fields) => lines.push(JSON.stringify({ message, ...fields })),
    });
    try {
      await mailer.send({ to: 'logged@example.com', subject: 'logged', text: 'the body' });
    } finally {
      await mailer.close();
    }
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'mail sent', to: 'logged@example.com', server: `127.0.0.1:${server.port}` });
    const all = lines.join('\n');
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), 'smtp://']) expect(all).not.toContain(secret);
  });

  it('refuses a wrong password with a non-retryable MailError (535) that does not carry it', async () => {
    const lines: string[] = [];
    const wrong = 'not-the-password';
    const mailer = createSmtpMailer({
      url: smtpUrl(server.port, wrong),
      from: 'Kontext <no-reply@example.com>',
      logger: (message, fields) => lines.push(JSON.stringify({ message, ...fields })),
    });
    try {
      const error = await mailer.send({ to: 'reader@example.com', subject: 'wrong password', text: 'x' }).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(MailError);
      expect(error).toMatchObject({ retryable: false, responseCode: 535 });
      expect(JSON.stringify(error) + String(error)).not.toContain(wrong);
      expect(lines.join('\n')).not.toContain(wrong);
      expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'mail not sent', retryable: false });
    } finally {
      await mailer.close();
    }
  });

  it('reports a server that is not listening as retryable', async () => {
    const mailer = createSmtpMailer({ url: smtpUrl(await closedPort()), from: 'no-reply@example.com' });
    try {
      const error = await mailer.send({ to: 'reader@example.com', subject: 'nobody there', text: 'x' }).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(MailError);
      expect((error as MailError).retryable).toBe(true);
    } finally {
      await mailer.close();
    }
  });

  it(
    'reports a server killed under a message in flight as retryable, not a hang',
    async () => {
      const doomed = await startSmtpServerProcess({ auth: true });
      const mailer = createSmtpMailer({ url: smtpUrl(doomed.port), from: 'no-reply@example.com' });
      try {
        const sending = mailer.send({ to: 'stall@example.com', subject: 'in flight', text: 'x' }).catch((reason: unknown) => reason);
        await doomed.stalled;
        await doomed.stop();
        const error = await sending;
        expect(error).toBeInstanceOf(MailError);
        expect((error as MailError).retryable).toBe(true);
      } finally {
        await mailer.close();
        await doomed.stop();
      }
    },
    PROCESS_TIMEOUT,
  );

  it(
    'sends without AUTH to a server that asks for none (smtp://host:port)',
    async () => {
      const open = await startSmtpServerProcess({ auth: false });
      const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${open.port}`, from: 'no-reply@example.com' });
      try {
        await mailer.send({ to: 'reader@example.com', subject: 'no auth', text: 'x' });
        await expect.poll(async () => (await open.delivered()).map((mail) => mail.subject)).toEqual(['no auth']);
      } finally {
        await mailer.close();
        await open.stop();
      }
    },
    PROCESS_TIMEOUT,
  );

  it('reads smtp:// and smtps:// URLs, and refuses others without echoing them', () => {
    expect(parseSmtpUrl('smtp://u%40x:p%3Aw@mail.example.com:2525')).toEqual({
      host: 'mail.example.com',
      port: 2525,
      secure: false,
      auth: { user: 'u@x', pass: 'p:w' },
    });
    expect(parseSmtpUrl('smtps://mail.example.com')).toEqual({ host: 'mail.example.com', port: 465, secure: true, auth: undefined });
    expect(parseSmtpUrl('smtp://[::1]')).toEqual({ host: '::1', port: 587, secure: false, auth: undefined });
    for (const bad of ['http://user:hunter2@mail.example.com', 'not a url hunter2', 'smtp://:hunter2@mail.example.com']) {
      let error: unknown;
      try {
        parseSmtpUrl(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MailError);
      expect(String(error)).not.toContain('hunter2');
    }
    expect(() => createSmtpMailer({ url: 'smtp://mail.example.com', from: 'Kontext' })).toThrow(MailError);
  });
});
