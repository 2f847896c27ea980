import { UsageError } from './errors.ts';
import type { InputStream, OutputStream } from './io.ts';

// Reading a key without it landing in a shell history or on screen: from a terminal with the echo
// off (the terminal is put in raw mode and nothing is written back), or from stdin when piped
// (`pass show kontext | kontext login`).

export async function readSecret(stdin: InputStream, stderr: OutputStream, prompt: string): Promise<string> {
  const value = stdin.isTTY && stdin.setRawMode ? await readFromTerminal(stdin, stderr, prompt) : await readFromPipe(stdin);
  const secret = value.trim();
  if (!secret) throw new UsageError('no API key given (pass --api-key, type it at the prompt or pipe it on stdin)');
  return secret;
}

async function readFromPipe(stdin: InputStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

function readFromTerminal(stdin: InputStream, stderr: OutputStream, prompt: string): Promise<string> {
  const setRawMode = stdin.setRawMode!.bind(stdin);
  // Echo off before the prompt shows, so nothing typed after it can appear on screen.
  setRawMode(true);
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (outcome: () => void) => {
      stdin.off('data', onData);
      setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      outcome();
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(() => resolve(value));
        if (char === '\u0003' || (char === '\u0004' && value === '')) return finish(() => reject(new UsageError('login canceled')));
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
