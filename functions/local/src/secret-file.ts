import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

/** A random secret kept in `file` (mode 600): read if there, else made (`bytes` random, base64url) and written. */
export async function readOrCreateSecret(file: string, options: { prefix?: string; bytes?: number } = {}): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = `${options.prefix ?? ''}${randomBytes(options.bytes ?? 32).toString('base64url')}`;
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
