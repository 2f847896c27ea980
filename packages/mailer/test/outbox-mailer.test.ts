import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, createOutboxMailer, MailError } from '../src/index.ts';
import { describeMailerConformance, parseDelivered, type DeliveredMail } from './conformance.ts';

let root: string;
let outbox: string;
const parsed = new Map<string, Promise<DeliveredMail>>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-outbox-'));
  outbox = join(root, 'outbox');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every .eml in the directory, each parsed once; a missing directory is an empty outbox. */
async function readOutbox(directory: string): Promise<DeliveredMail[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  return Promise.all(
    names
      .filter((name) => name.endsWith('.eml'))
      .map((name) => {
        const file = join(directory, name);
        if (!parsed.has(file)) parsed.set(file, readFile(file).then(parseDelivered));
        return parsed.get(file)!;
      }),
  );
}

describeMailerConformance(
  'outbox (a directory of .eml files)',
  async (from) => createOutboxMailer({ directory: outbox, from, log: () => {} }),
  () => readOutbox(outbox),
);

describe('outbox mailer', () => {
  it('writes one RFC 5322 file only its owner can read, in a directory only its owner can enter', async () => {
    const directory = join(root, 'private', 'outbox');
    const mailer = createOutboxMailer({ directory, from: 'Kontext <no-reply@example.com>', log: () => {} });
    await mailer.send({ to: 'reader@example.com', subject: 'private', text: 'a body' });
    await mailer.close();
    const names = await readdir(directory);
    // No temporary file left behind, and the name is its time (colons would trouble some file systems) and a random part.
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.eml$/);
    expect((await stat(join(directory, names[0]!))).mode & 0o777).toBe(0o600);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    const eml = await readFile(join(directory, names[0]!), 'latin1');
    // CRLF line ends and the headers a mail program expects.
    expect(eml).toMatch(/^(?:[^\r\n]*\r\n)+\r\n/);
    expect(eml).not.toMatch(/[^\r]\n/);
    for (const header of ['From', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version']) expect(eml).toMatch(new RegExp(`^${header}: `, 'im'));
  });

  it('logs the file and the link, never the body', async () => {
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const directory = join(root, 'logged');
    const mailer = createOutboxMailer({
      directory,
      from: 'Kontext <no-reply@example.com>',
      log: (message, fields) => lines.push({ message, fields }),
    });
    const link = 'https://app.example.com/invitations/inv_1?token=secret-token-1';
    await mailer.send({
      to: 'invited@example.com',
      subject: 'You are invited',
      text: `A body only the recipient should read.\n\nAccept: ${link}\n`,
      link,
    });
    await mailer.close();
    const [name] = await readdir(directory);
    expect(lines).toEqual([
      {
        message: 'mail written to outbox',
        fields: { to: 'invited@example.com', subject: 'You are invited', file: join(directory, name!), link },
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('only the recipient');
  });

  it('reports an outbox it cannot write to as retryable', async () => {
    // A file where the directory should be: the operator can fix it while the message waits.
    const blocked = join(root, 'blocked');
    await rm(blocked, { force: true });
    await writeFile(blocked, 'not a directory');
    const mailer = createOutboxMailer({ directory: blocked, from: 'no-reply@example.com', log: () => {} });
    const error = await mailer.send({ to: 'reader@example.com', subject: 'blocked', text: 'x' }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).retryable).toBe(true);
    await mailer.close();
  });
});

describe('createMailer', () => {
  it('uses SMTP when a URL is set, else the outbox', async () => {
    const base = { from: 'Kontext <no-reply@example.com>', outboxDirectory: join(root, 'chosen'), log: () => {} };
    const outboxMailer = createMailer(base);
    const smtpMailer = createMailer({ ...base, smtpUrl: 'smtp://user:pass@127.0.0.1:2525' });
    expect([outboxMailer.kind, smtpMailer.kind]).toEqual(['outbox', 'smtp']);
    expect(createMailer({ ...base, smtpUrl: '' }).kind).toBe('outbox');
    await Promise.all([outboxMailer.close(), smtpMailer.close()]);
  });
});
