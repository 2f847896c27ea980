import { SMTPServer } from 'smtp-server';

// A real SMTP server in its own process, so a test can SIGKILL it mid-message. Run with
// `node --import tsx`. Speaks on stdout, one JSON line per event:
//   {"type":"listening","port":N}   once, when it accepts connections (on 127.0.0.1, a free port)
//   {"type":"message","mailFrom":"...","rcptTo":["..."],"raw":"<base64>"}   each message, before its 250
//   {"type":"stalled"}              a message to a recipient starting with "stall" was read and is never answered
// Environment: SMTP_TEST_USER and SMTP_TEST_PASSWORD require AUTH PLAIN/LOGIN with those; without them, no AUTH.

const user = process.env.SMTP_TEST_USER;
const password = process.env.SMTP_TEST_PASSWORD;
const requireAuth = user !== undefined && password !== undefined;

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const server = new SMTPServer({
  // No TLS: the tests run on loopback, and the built-in certificate would fail verification anyway.
  disabledCommands: requireAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
  authMethods: ['PLAIN', 'LOGIN'],
  authOptional: !requireAuth,
  allowInsecureAuth: true,
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === user && auth.password === password) return callback(null, { user: auth.username });
    // smtp-server answers 535 for this.
    return callback(new Error('Invalid username or password'));
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const rcptTo = session.envelope.rcptTo.map((recipient) => recipient.address);
      if (rcptTo.some((address) => address.startsWith('stall'))) {
        // The client now waits for the reply to its message; the test kills this process meanwhile.
        emit({ type: 'stalled' });
        return;
      }
      const mailFrom = session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address;
      emit({ type: 'message', mailFrom, rcptTo, raw: Buffer.concat(chunks).toString('base64') });
      callback(null);
    });
  },
});

server.on('error', (error) => {
  process.stderr.write(`smtp-server: ${error.message}\n`);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  emit({ type: 'listening', port: address.port });
});

// The test process holds our stdin: when it goes away, so do we, and no server outlives a test run.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
