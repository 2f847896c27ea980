import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './processes.ts';

const run = promisify(execFile);

const VENV = join(REPO_ROOT, '.venv-test');
const REQUIREMENTS = join(REPO_ROOT, 'test', 'requirements.txt');
const STAMP = join(VENV, '.requirements-sha256');

/**
 * The test suite's Python virtual environment (moto's server), created from test/requirements.txt
 * on first use and rebuilt when that file changes, so `npm test` on a fresh clone needs nothing
 * installed by hand. Returns the venv's bin directory.
 */
export async function ensureTestVenv(): Promise<string> {
  const wanted = createHash('sha256').update(await readFile(REQUIREMENTS)).digest('hex');
  const bin = join(VENV, 'bin');
  const stamp = existsSync(STAMP) ? (await readFile(STAMP, 'utf8')).trim() : '';
  if (stamp === wanted && existsSync(join(bin, 'moto_server'))) return bin;

  await rm(VENV, { recursive: true, force: true });
  const python = process.env.PYTHON ?? 'python3';
  try {
    await run(python, ['-m', 'venv', VENV]);
    await run(join(bin, 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    await rm(VENV, { recursive: true, force: true });
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`could not create the test venv (needs ${python} with venv and pip, and PyPI): ${detail}`);
  }
  await writeFile(STAMP, `${wanted}\n`);
  return bin;
}
