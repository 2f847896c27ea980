import { randomBytes } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { MailError, type Mailer } from '../src/index.ts';

// What every mailer must do, wherever its mail ends up: what arrives is read back as a mail
// program would read it (MIME decoded by mailparser), never from the adapter's own state.

/** A message as it arrived, parsed from its RFC 5322 bytes. */
export interface DeliveredMail {
  to: string[];
  from: { address: string; name: string } | undefined;
  subject: string;
  text: string;
  html: string | undefined;
}

export async function parseDelivered(raw: Buffer): Promise<DeliveredMail> {
  const parsed = await simpleParser(raw);
  const addresses = (field: AddressObject | AddressObject[] | undefined) =>
    (Array.isArray(field) ? field : field === undefined ? [] : [field]).flatMap((object) => object.value);
  const [from] = addresses(parsed.from);
  return {
    to: addresses(parsed.to).map((address) => address.address ?? ''),
    from: from === undefined ? undefined : { address: from.address ?? '', name: from.name },
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: parsed.html === false ? undefined : parsed.html,
  };
}

const FROM = { name: 'Kontext — Grüße', address: 'no-reply@example.com' };

export function describeMailerConformance(
  name: string,
  makeMailer: (from: string) => Promise<Mailer>,
  readDelivered: () => Promise<DeliveredMail[]>,
): void {
  describe(`${name}: Mailer conformance`, () => {
    const opened: Mailer[] = [];
    const mailer = async () => {
      const made = await makeMailer(`"${FROM.name}" <${FROM.address}>`);
      opened.push(made);
      return made;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((made) => made.close()));
    });

    /** The one delivered message with this subject, once it is there. */
    async function arrived(subject: string): Promise<DeliveredMail> {
      let found: DeliveredMail[] = [];
      await expect
        .poll(async () => (found = (await readDelivered()).filter((mail) => mail.subject === subject)).length, {
          timeout: 10_000,
        })
        .toBe(1);
      return found[0]!;
    }

    it('delivers a message with its To, From, Subject, UTF-8 text, HTML and link', async () => {
      const token = randomBytes(24).toString('hex');
      // Longer than a MIME line: it must survive the soft line breaks of quoted-printable.
      const link = `https://app.example.com/sign-in?token=${token}&next=%2Fprojects%2Fpr_1%3Ftab%3Dsettings`;
      const subject = `Grüße — 你好 ${token.slice(0, 8)}`;
      await (await mailer()).send({
        to: `reader-${token.slice(0, 8)}@example.com`,
        subject,
        text: `Grüße — 你好!\n\nSign in: ${link}\n`,
        html: `<p>Grüße — 你好!</p><p><a href="${link.replaceAll('&', '&amp;')}">Sign in</a></p>`,
        link,
      });
      const mail = await arrived(subject);
      expect(mail.to).toEqual([`reader-${token.slice(0, 8)}@example.com`]);
      expect(mail.from).toEqual(FROM);
      expect(mail.text).toContain('Grüße — 你好!');
      expect(mail.text).toContain(link);
      expect(mail.html).toContain('Grüße — 你好!');
      expect(mail.html).toContain(link.replaceAll('&', '&amp;'));
    });

    it('refuses invalid recipients and header injection, non-retryable, before anything is sent', async () => {
      const made = await mailer();
      const token = randomBytes(8).toString('hex');
      const valid = { to: `reader-${token}@example.com`, subject: `refused ${token}`, text: 'never sent' };
      const refused = [
        { ...valid, to: 'not-an-address' },
        { ...valid, to: '' },
        { ...valid, to: `reader-${token}@example.com\r\nBcc: victim@example.com` },
        { ...valid, to: `reader-${token}@example.com, victim@example.com` },
        { ...valid, to: `Reader <reader-${token}@example.com>` },
        { ...valid, to: `${'a'.repeat(250)}@example.com` },
        { ...valid, subject: `refused ${token}\r\nBcc: victim@example.com` },
        { ...valid, subject: `refused ${token}\nBcc: victim@example.com` },
        { ...valid, subject: '' },
        { ...valid, subject: 'x'.repeat(201) },
        { ...valid, text: 'x'.repeat(100_001) },
        { ...valid, link: 'javascript:alert(1)', text: 'javascript:alert(1)' },
        { ...valid, link: 'https://app.example.com/sign-in?token=t' },
      ];
      for (const message of refused) {
        const error = await made.send(message).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error, JSON.stringify(message).slice(0, 120)).toBeInstanceOf(MailError);
        expect((error as MailError).retryable).toBe(false);
      }
      // Sent after the refusals, so had any of them gone out it would be there by the time this is.
      await made.send({ ...valid, subject: `marker ${token}` });
      await arrived(`marker ${token}`);
      const delivered = await readDelivered();
      expect(delivered.filter((mail) => mail.subject.includes(`refused ${token}`))).toEqual([]);
      expect(delivered.filter((mail) => mail.to.includes('victim@example.com'))).toEqual([]);
    });

    it('delivers every one of many messages sent at once', async () => {
      const made = await mailer();
      const token = randomBytes(8).toString('hex');
      const subjects = Array.from({ length: 25 }, (_, index) => `batch ${token} #${index}`);
      await Promise.all(
        subjects.map((subject, index) =>
          made.send({ to: `reader-${index}@example.com`, subject, text: `message ${index} of the batch` }),
        ),
      );
      await expect
        .poll(async () => (await readDelivered()).filter((mail) => mail.subject.startsWith(`batch ${token} `)).length, {
          timeout: 10_000,
        })
        .toBe(subjects.length);
      const batch = (await readDelivered()).filter((mail) => mail.subject.startsWith(`batch ${token} `));
      expect(new Set(batch.map((mail) => mail.subject))).toEqual(new Set(subjects));
      for (const mail of batch) {
        const index = Number(mail.subject.split('#')[1]);
        expect(mail.to).toEqual([`reader-${index}@example.com`]);
        expect(mail.text.trim()).toBe(`message ${index} of the batch`);
      }
    });

    it('refuses to send once closed, non-retryable', async () => {
      const made = await mailer();
      await made.close();
      const error = await made.send({ to: 'reader@example.com', subject: 'after close', text: 'x' }).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(MailError);
      expect((error as MailError).retryable).toBe(false);
    });
  });
}
