import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseDelivered, type DeliveredMail } from '../../packages/mailer/test/conformance.ts';

// A real SMTP server (smtp-server) in a child process, for the mailer's own tests and for the
// platform's mail (invitations, password resets): what it receives is parsed as a mail program
// would (mailparser), and a test can SIGKILL it under a message in flight.

export type { DeliveredMail };

/** The AUTH credentials of a server started with `auth: true`; the password needs percent-encoding in a URL. */
export const SMTP_TEST_USER = 'kontext';
export const SMTP_TEST_PASSWORD = 'p@ss:w/rd wörd%';

export interface SmtpServerProcess {
  port: number;
  child: ChildProcess;
  /** Every message received so far, parsed, in the order they arrived. */
  delivered(): Promise<DeliveredMail[]>;
  /** Resolves when the server has read a message to a stall… recipient and will never answer it. */
  stalled: Promise<void>;
  /** An SMTP_URL for this server: with the AUTH credentials (or the given password) when it requires AUTH. */
  url(password?: string): string;
  stop(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('../../packages/mailer/test/smtp-server-process.ts', import.meta.url));

/** Starts the server on a free loopback port; `auth`: require AUTH PLAIN/LOGIN with SMTP_TEST_USER / SMTP_TEST_PASSWORD. */
export async function startSmtpServerProcess(options: { auth: boolean }): Promise<SmtpServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_SCRIPT], {
    cwd: fileURLToPath(new URL('../../packages/mailer/', import.meta.url)),
    env: { ...process.env, ...(options.auth ? { SMTP_TEST_USER, SMTP_TEST_PASSWORD } : {}) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const messages: Promise<DeliveredMail>[] = [];
  let markStalled: () => void = () => {};
  const stalled = new Promise<void>((resolve) => (markStalled = resolve));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the SMTP server exited (${code ?? signal}) before listening: ${stderr}`)));
    child.once('error', reject);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { type: string; port?: number; raw?: string };
      if (event.type === 'listening') resolve(event.port!);
      if (event.type === 'message') messages.push(parseDelivered(Buffer.from(event.raw!, 'base64')));
      if (event.type === 'stalled') markStalled();
    });
  });
  return {
    port,
    child,
    delivered: () => Promise.all(messages),
    stalled,
    url: (password = SMTP_TEST_PASSWORD) =>
      options.auth ? `smtp://${encodeURIComponent(SMTP_TEST_USER)}:${encodeURIComponent(password)}@127.0.0.1:${port}` : `smtp://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
